#include "reply.h"

#include "sched.h"
#include "sched_context.h"
#include "vspace.h"

_Static_assert(sizeof(struct reply) == 32, "a reply object is 2^5 bytes (seL4_ReplyBits)");

struct reply *reply_of_object(uint64_t paddr)
{
    return paddr_to_kptr(paddr);
}

void reply_unlink(struct reply *reply, struct tcb *t)
{
    t->reply = 0;
    reply->tcb = 0;
    sched_set_state(t, THREAD_INACTIVE);
}

void reply_push(struct tcb *caller, struct tcb *callee, struct reply *reply, int can_donate)
{
    struct sched_context *lent = caller->sc;
    callee->reply = 0;
    reply->tcb = caller;
    caller->reply = reply;
    sched_set_state(caller, THREAD_BLOCKED_ON_REPLY);
    if (lent != 0 && callee->sc == 0 && can_donate) {
        struct reply *below = lent->reply;
        reply->prev = below;
        if (below != 0) {
            below->next = reply;
            below->next_is_head = 0;
        }
        reply->next = lent;
        reply->next_is_head = 1;
        lent->reply = reply;
        sc_donate(lent, callee);
    }
}

static void clear_links(struct reply *reply)
{
    reply->prev = 0;
    reply->next = 0;
    reply->next_is_head = 0;
}

/* seL4's reply_pop: the top of a call stack answered; the SchedContext
 * goes back to the caller unless it got another one meanwhile. */
static void reply_pop(struct reply *reply, struct tcb *t)
{
    struct sched_context *sc = reply->next;
    struct reply *below = reply->prev;
    sc->reply = below;
    if (below != 0) {
        below->next = sc;
        below->next_is_head = 1;
    }
    if (t->sc == 0)
        sc_donate(sc, t);
    clear_links(reply);
    reply_unlink(reply, t);
}

/* The call stack breaks below this reply (the one under it no longer
 * points up), and the reply leaves its caller. */
static void break_below_and_unlink(struct reply *reply, struct tcb *t)
{
    if (reply->prev != 0) {
        reply->prev->next = 0;
        reply->prev->next_is_head = 0;
    }
    clear_links(reply);
    reply_unlink(reply, t);
}

void reply_remove(struct reply *reply, struct tcb *t)
{
    if (reply->next != 0 && reply->next_is_head) {
        reply_pop(reply, t);
        return;
    }
    /* Not the top of a stack: the chain breaks here. */
    if (reply->next != 0)
        ((struct reply *)reply->next)->prev = 0;
    break_below_and_unlink(reply, t);
}

void reply_remove_tcb(struct tcb *t)
{
    struct reply *reply = t->reply;
    if (reply->next != 0) {
        if (reply->next_is_head)
            ((struct sched_context *)reply->next)->reply = 0;
        else
            ((struct reply *)reply->next)->prev = 0;
    }
    break_below_and_unlink(reply, t);
}

void reply_cut_above(struct reply *reply)
{
    reply->next = 0;
    reply->next_is_head = 0;
}
