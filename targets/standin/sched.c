#include "sched.h"

#include "power.h"
#include "queue.h"
#include "uart.h"
#include "vspace.h"
#if CONFIG_KERNEL_MCS
#include "sched_context.h"
#endif

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

int sched_runnable(const struct tcb *t)
{
    return t->state == THREAD_RUNNING;
}

int sched_schedulable(const struct tcb *t)
{
#if CONFIG_KERNEL_MCS
    return sched_runnable(t) && t->sc != 0 && sc_active(t->sc);
#else
    return sched_runnable(t);
#endif
}

void sched_enqueue(struct tcb *t)
{
    unlink(t);
    t->sched_next = threads;
    threads = t;
}

void sched_set_state(struct tcb *t, enum thread_state state)
{
    /* Like seL4's tcbSchedEnqueue: a thread that becomes runnable goes to
     * the front of its priority (only Yield sends one to the back). */
    if (state == THREAD_RUNNING && t->state != THREAD_RUNNING)
        sched_enqueue(t);
    t->state = (uint8_t)state;
}

void sched_possible_switch_to(struct tcb *t)
{
    /* On MCS a thread without a SchedContext is left alone. */
    if (CONFIG_KERNEL_MCS && !sched_schedulable(t))
        return;
    woken = t;
}

void sched_wake(struct tcb *t)
{
    sched_set_state(t, THREAD_RUNNING);
    sched_possible_switch_to(t);
}

void sched_set_priority(struct tcb *t, uint8_t priority)
{
    t->priority = priority;
#if CONFIG_KERNEL_MCS
    /* A queued or running thread moves to the front of its new priority;
     * a blocked one takes its new place in the priority-ordered queue. */
    switch (t->state) {
    case THREAD_RUNNING:
        if (sched_schedulable(t))
            sched_enqueue(t);
        break;
    case THREAD_BLOCKED_ON_SEND:
    case THREAD_BLOCKED_ON_RECV:
    case THREAD_BLOCKED_ON_NOTIFICATION:
        queue_remove(t->blocked_queue, t);
        queue_append(t->blocked_queue, t);
        break;
    default:
        break;
    }
#else
    if (sched_runnable(t) && t != ksCurThread)
        sched_possible_switch_to(t);
#endif
}

static struct tcb *highest_schedulable(void)
{
    struct tcb *best = 0;
    for (struct tcb *t = threads; t != 0; t = t->sched_next)
        if (sched_schedulable(t) && (best == 0 || t->priority > best->priority))
            best = t;
    return best;
}

#if CONFIG_KERNEL_MCS
/* A thread whose SchedContext was configured on another core would run
 * there on seL4; the stand-in runs user threads on core 0 only. */
static void refuse_other_cores(void)
{
    for (struct tcb *t = threads; t != 0; t = t->sched_next) {
        if (sched_schedulable(t) && t->sc->core != 0) {
            kprintf("stand-in: thread \"%s\" is runnable on core %u (its SchedContext's), but "
                    "the stand-in runs user threads only on core 0, halting\n", tcb_ext(t)->name,
                    (unsigned)t->sc->core);
            power_off();
        }
    }
}
#endif

static void switch_to(struct tcb *next)
{
    if (next == 0) {
        kprintf("stand-in: no runnable thread left (every thread is blocked or inactive; "
                "seL4 would idle here), halting\n");
        power_off();
    }
#if CONFIG_KERNEL_MCS
    ksCurSC = next->sc;
#endif
    if (next != ksCurThread) {
        ksCurThread = next;
        user_vspace_switch(next->vspace_root.object, next->vspace_root.asid);
    }
}

void sched_yield(void)
{
#if CONFIG_KERNEL_MCS
    refuse_other_cores();
#endif
    woken = 0;
    unlink(ksCurThread);
    append(ksCurThread);
    switch_to(highest_schedulable());
}

void sched_choose(void)
{
#if CONFIG_KERNEL_MCS
    refuse_other_cores();
#endif
    struct tcb *cur = ksCurThread;
    int cur_schedulable = sched_schedulable(cur);
    if (woken != 0 && woken != cur && cur_schedulable && sched_schedulable(woken) &&
        woken->priority == cur->priority) {
        unlink(woken);
        append(woken);
    }
    woken = 0;
    struct tcb *next = highest_schedulable();
    /* The running thread keeps the CPU against equal priorities; only a
     * strictly higher one (woken by IPC or resumed) takes it over. */
    if (cur_schedulable && (next == 0 || next->priority <= cur->priority))
        next = cur;
    switch_to(next);
}

struct tcb *tcb_of_object(uint64_t tcb_object_paddr)
{
    /* seL4's tcb_t pointer is the middle of the object (2 KiB; 1 KiB on
     * riscv64 13.0.0); the first half holds the thread's own CNode slots. */
    return (struct tcb *)paddr_to_kptr(tcb_object_paddr +
                                       (UINT64_C(1) << (abi_object_bits(SEL4_OBJECT_TCB) - 1)));
}
