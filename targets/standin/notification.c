#include "notification.h"

#include "abi.h"
#include "queue.h"
#include "sched.h"
#include "vspace.h"
#if CONFIG_KERNEL_MCS
#include "sched_context.h"
#endif

/* The notification object. seL4's three states: Waiting while the queue
 * holds threads, Active while a word is pending (nobody waits then), else
 * Idle. */
struct notification {
    struct thread_queue waiters;
    uint64_t active;
    uint64_t word;        /* seL4's ntfnMsgIdentifier: ORed badges while active */
#if CONFIG_KERNEL_MCS
    struct sched_context *sc;   /* ntfnSchedContext */
#endif
};
_Static_assert(sizeof(struct notification) <= (1u << NOTIFICATION_BITS), "notification object size");

#if CONFIG_KERNEL_MCS
struct notification *notification_of(const struct cap *c)
#else
static struct notification *notification_of(const struct cap *c)
#endif
{
    return paddr_to_kptr(c->object);
}

#if CONFIG_KERNEL_MCS
struct sched_context *notification_sched_context(const struct notification *n)
{
    return n->sc;
}

void notification_set_sched_context(struct notification *n, struct sched_context *sc)
{
    n->sc = sc;
}

/* seL4's maybeDonateSchedContext: a passive waiter runs on the
 * notification's SchedContext, if that one is free. */
static void maybe_donate(struct tcb *t, struct notification *n)
{
    if (t->sc == 0 && n->sc != 0 && n->sc->tcb == 0)
        sc_donate(n->sc, t);
}

/* seL4's maybeReturnSchedContext: a waiter that blocks again gives it back. */
static void maybe_return(struct notification *n, struct tcb *t)
{
    if (n->sc != 0 && n->sc == t->sc) {
        t->sc = 0;
        n->sc->tcb = 0;
    }
}
#endif

void notification_signal(const struct cap *cap)
{
    struct notification *n = notification_of(cap);
    if (n->waiters.head != 0) {
        /* The first waiter gets this badge alone, not ORed with anything. */
        struct tcb *waiter = queue_pop(&n->waiters);
        waiter->registers[REG_CAP] = cap->badge;
        sched_set_state(waiter, THREAD_RUNNING);
#if CONFIG_KERNEL_MCS
        maybe_donate(waiter, n);
#endif
        sched_possible_switch_to(waiter);
    } else if (n->active) {
        n->word |= cap->badge;
    } else {
        n->active = 1;
        n->word = cap->badge;
    }
}

void notification_wait(struct tcb *t, const struct cap *cap, int blocking)
{
    struct notification *n = notification_of(cap);
    if (n->active) {
        t->registers[REG_CAP] = n->word;
        n->word = 0;
        n->active = 0;
#if CONFIG_KERNEL_MCS
        maybe_donate(t, n);
#endif
        return;
    }
    if (!blocking) {
        t->registers[REG_CAP] = 0;
        return;
    }
    sched_set_state(t, THREAD_BLOCKED_ON_NOTIFICATION);
    queue_append(&n->waiters, t);
#if CONFIG_KERNEL_MCS
    maybe_return(n, t);
#endif
}
