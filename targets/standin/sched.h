/* Which thread runs: the highest-priority schedulable one, first come first
 * in queue order within a priority (seL4's per-priority queues, without the
 * timer: the stand-in never preempts, threads switch only in syscalls).
 * On MCS a thread is schedulable only while it has a configured
 * SchedContext (seL4's isSchedulable); budgets are not enforced. */
#ifndef STANDIN_SCHED_H
#define STANDIN_SCHED_H

#include "thread.h"

/* Makes a thread known to the scheduler (once, when it is created). */
void sched_add(struct tcb *t);

/* seL4's isRunnable (running or about to restart) and isSchedulable
 * (runnable and, on MCS, holding a configured SchedContext). */
int sched_runnable(const struct tcb *t);
int sched_schedulable(const struct tcb *t);

/* Sets the state; a thread that becomes runnable goes to the front of its
 * priority's queue (seL4's tcbSchedEnqueue). */
void sched_set_state(struct tcb *t, enum thread_state state);

/* Puts t at the front of its priority's queue (seL4's SCHED_ENQUEUE): a
 * thread that just became schedulable without a state change (MCS: a
 * SchedContext bound or configured). */
void sched_enqueue(struct tcb *t);

/* A blocked thread becomes runnable because of another thread's IPC
 * (seL4's setThreadState(Running) + possibleSwitchTo): it goes to the front
 * of its priority, but if the current thread stays runnable at the same
 * priority, to the back instead (seL4 appends the candidate then). */
void sched_wake(struct tcb *t);

/* seL4's possibleSwitchTo for a thread already runnable. */
void sched_possible_switch_to(struct tcb *t);

/* seL4's setPriority, queue effects included. */
void sched_set_priority(struct tcb *t, uint8_t priority);

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
