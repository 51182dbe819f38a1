/* Which thread runs: the highest-priority runnable one, first come first
 * in queue order within a priority (seL4's per-priority queues, without the
 * timer: the stand-in never preempts, threads switch only in syscalls). */
#ifndef STANDIN_SCHED_H
#define STANDIN_SCHED_H

#include "thread.h"

/* Makes a thread known to the scheduler (once, when it is created). */
void sched_add(struct tcb *t);

/* Sets the state; a thread that becomes runnable goes to the front of its
 * priority's queue (seL4's tcbSchedEnqueue). */
void sched_set_state(struct tcb *t, enum thread_state state);

/* A blocked thread becomes runnable because of another thread's IPC
 * (seL4's setThreadState(Running) + possibleSwitchTo): it goes to the front
 * of its priority, but if the current thread stays runnable at the same
 * priority, to the back instead (seL4 appends the candidate then). */
void sched_wake(struct tcb *t);

/* SysYield: the current thread goes to the back of its priority's queue
 * and the first thread of the highest priority runs. */
void sched_yield(void);

/* After a syscall: the current thread keeps running unless it blocked or a
 * higher-priority thread became runnable; switches ksCurThread and the user
 * address space. With no runnable thread left, reports the deadlock and
 * powers off (real seL4 would idle forever). */
void sched_choose(void);

/* The first of every thread ever created (continue with sched_next). */
struct tcb *sched_all_threads(void);

/* The kernel pointer of a TCB object's tcb (middle of the object). */
struct tcb *tcb_of_object(uint64_t tcb_object_paddr);

#endif
