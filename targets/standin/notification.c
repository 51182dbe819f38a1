#include "notification.h"

#include "queue.h"
#include "sched.h"
#include "vspace.h"

/* The 32-byte notification object. The state is explicit (unlike an
 * endpoint's): Active means a word is pending and nobody waits. */
enum notification_state { NTFN_IDLE, NTFN_WAITING, NTFN_ACTIVE };

struct notification {
    struct thread_queue waiters;
    uint64_t state;       /* enum notification_state */
    uint64_t word;        /* seL4's ntfnMsgIdentifier: ORed badges while Active */
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
    switch (n->state) {
    case NTFN_WAITING: {
        /* The first waiter gets this badge alone, not ORed with anything. */
        struct tcb *waiter = queue_pop(&n->waiters);
        if (n->waiters.head == 0)
            n->state = NTFN_IDLE;
        waiter->registers[0] = cap->badge;
        sched_wake(waiter);
        break;
    }
    case NTFN_ACTIVE:
        n->word |= cap->badge;
        break;
    default:
        n->state = NTFN_ACTIVE;
        n->word = cap->badge;
        break;
    }
}

void notification_wait(struct tcb *t, const struct cap *cap, int blocking)
{
    struct notification *n = notification_of(cap);
    if (n->state == NTFN_ACTIVE) {
        t->registers[0] = n->word;
        n->word = 0;
        n->state = NTFN_IDLE;
        return;
    }
    if (!blocking) {
        t->registers[0] = 0;
        return;
    }
    sched_set_state(t, THREAD_BLOCKED_ON_NOTIFICATION);
    queue_append(&n->waiters, t);
    n->state = NTFN_WAITING;
}
