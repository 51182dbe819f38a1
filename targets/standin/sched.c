#include "sched.h"

#include "power.h"
#include "uart.h"
#include "vspace.h"

/* Every thread ever created, in queue order: newly runnable threads at the
 * front, yielding ones at the back; the first of the highest priority runs. */
static struct tcb *threads;

/* The thread most recently woken by IPC in this kernel entry (seL4's
 * SchedulerAction_SwitchToThread candidate), or 0. */
static struct tcb *woken;

static void unlink(struct tcb *t)
{
    for (struct tcb **p = &threads; *p != 0; p = &(*p)->sched_next) {
        if (*p == t) {
            *p = t->sched_next;
            t->sched_next = 0;
            return;
        }
    }
}

static void append(struct tcb *t)
{
    struct tcb **p = &threads;
    while (*p != 0)
        p = &(*p)->sched_next;
    *p = t;
    t->sched_next = 0;
}

struct tcb *sched_all_threads(void)
{
    return threads;
}

void sched_add(struct tcb *t)
{
    append(t);
}

void sched_set_state(struct tcb *t, enum thread_state state)
{
    /* Like seL4's tcbSchedEnqueue: a thread that becomes runnable goes to
     * the front of its priority (only Yield sends one to the back). */
    if (state == THREAD_RUNNING && t->state != THREAD_RUNNING) {
        unlink(t);
        t->sched_next = threads;
        threads = t;
    }
    t->state = (uint8_t)state;
}

void sched_wake(struct tcb *t)
{
    sched_set_state(t, THREAD_RUNNING);
    woken = t;
}

static struct tcb *highest_runnable(void)
{
    struct tcb *best = 0;
    for (struct tcb *t = threads; t != 0; t = t->sched_next)
        if (t->state == THREAD_RUNNING && (best == 0 || t->priority > best->priority))
            best = t;
    return best;
}

static void switch_to(struct tcb *next)
{
    if (next == 0) {
        kprintf("stand-in: no runnable thread left (every thread is blocked or inactive; "
                "seL4 would idle here), halting\n");
        power_off();
    }
    if (next != ksCurThread) {
        ksCurThread = next;
        user_vspace_switch(next->vspace_root.object, next->vspace_root.asid);
    }
}

void sched_yield(void)
{
    woken = 0;
    unlink(ksCurThread);
    append(ksCurThread);
    switch_to(highest_runnable());
}

void sched_choose(void)
{
    struct tcb *cur = ksCurThread;
    if (woken != 0 && woken != cur && cur->state == THREAD_RUNNING &&
        woken->state == THREAD_RUNNING && woken->priority == cur->priority) {
        unlink(woken);
        append(woken);
    }
    woken = 0;
    struct tcb *next = highest_runnable();
    /* The running thread keeps the CPU against equal priorities; only a
     * strictly higher one (woken by IPC or resumed) takes it over. */
    if (cur->state == THREAD_RUNNING && (next == 0 || next->priority <= cur->priority))
        next = cur;
    switch_to(next);
}

struct tcb *tcb_of_object(uint64_t tcb_object_paddr)
{
    /* seL4's tcb_t pointer is the middle of the 2 KiB object; the first half
     * holds the thread's own CNode slots. */
    return (struct tcb *)paddr_to_kptr(tcb_object_paddr + (UINT64_C(1) << (SEL4_TCB_BITS - 1)));
}
