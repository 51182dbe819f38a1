#include "notification.h"

#include "queue.h"
#include "sched.h"
#include "vspace.h"

/* The 32-byte notification object. seL4's three states: Waiting while
 * the queue holds threads, Active while a word is pending (nobody waits
 * then), else Idle. */
struct notification {
    struct thread_queue waiters;
    uint64_t active;
    uint64_t word;        /* seL4's ntfnMsgIdentifier: ORed badges while active */
};
_Static_assert(sizeof(struct notification) == (1u << SEL4_NOTIFICATION_BITS),
               "notification object size");

static struct notification *notification_of(const struct cap *c)
{
    return paddr_to_kptr(c->object);
}

void notification_signal(const struct cap *cap)
{
    struct notification *n = notification_of(cap);
    if (n->waiters.head != 0) {
        /* The first waiter gets this badge alone, not ORed with anything. */
        struct tcb *waiter = queue_pop(&n->waiters);
        waiter->registers[0] = cap->badge;
        sched_wake(waiter);
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
        t->registers[0] = n->word;
        n->word = 0;
        n->active = 0;
        return;
    }
    if (!blocking) {
        t->registers[0] = 0;
        return;
    }
    sched_set_state(t, THREAD_BLOCKED_ON_NOTIFICATION);
    queue_append(&n->waiters, t);
}
