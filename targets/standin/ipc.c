#include "ipc.h"

#include "invocation.h"
#include "sched.h"
#include "vspace.h"

/* The 16-byte endpoint object: one queue, of senders or of receivers (the
 * state of the first thread says which). */
struct endpoint {
    struct tcb *head, *tail;
};
_Static_assert(sizeof(struct endpoint) == (1u << SEL4_ENDPOINT_BITS), "endpoint object size");

static struct endpoint *endpoint_of(const struct cap *c)
{
    return paddr_to_kptr(c->object);
}

static void enqueue(struct endpoint *ep, struct tcb *t)
{
    t->ep_next = 0;
    if (ep->tail != 0)
        ep->tail->ep_next = t;
    else
        ep->head = t;
    ep->tail = t;
}

static struct tcb *dequeue(struct endpoint *ep)
{
    struct tcb *t = ep->head;
    ep->head = t->ep_next;
    if (ep->head == 0)
        ep->tail = 0;
    t->ep_next = 0;
    return t;
}

static void transfer(struct tcb *sender, struct tcb *receiver, uint64_t badge)
{
    uint64_t info = sender->registers[1];
    uint64_t length = SEL4_MSGINFO_LENGTH(info);
    if (length > SEL4_MSG_MAX_LENGTH)
        length = SEL4_MSG_MAX_LENGTH;
    seL4_IPCBuffer *from = thread_ipc_buffer(sender), *to = thread_ipc_buffer(receiver);
    /* Without both buffers only the register MRs can travel. */
    if ((from == 0 || to == 0) && length > SEL4_FAST_MESSAGE_REGISTERS)
        length = SEL4_FAST_MESSAGE_REGISTERS;
    for (uint64_t i = 0; i < length; i++) {
        if (i < SEL4_FAST_MESSAGE_REGISTERS)
            receiver->registers[2 + i] = sender->registers[2 + i];
        else
            to->msg[i] = from->msg[i];
    }
    receiver->registers[0] = badge;
    receiver->registers[1] = SEL4_MSGINFO(SEL4_MSGINFO_LABEL(info), 0, 0, length);
}

void ipc_send(struct tcb *sender, const struct cap *endpoint)
{
    struct endpoint *ep = endpoint_of(endpoint);
    if (ep->head != 0 && ep->head->state == THREAD_BLOCKED_ON_RECV) {
        struct tcb *receiver = dequeue(ep);
        transfer(sender, receiver, endpoint->badge);
        sched_set_state(receiver, THREAD_RUNNING);
        return;
    }
    sender->blocked_badge = endpoint->badge;
    sched_set_state(sender, THREAD_BLOCKED_ON_SEND);
    enqueue(ep, sender);
}

void ipc_recv(struct tcb *receiver, const struct cap *endpoint)
{
    struct endpoint *ep = endpoint_of(endpoint);
    if (ep->head != 0 && ep->head->state == THREAD_BLOCKED_ON_SEND) {
        struct tcb *sender = dequeue(ep);
        transfer(sender, receiver, sender->blocked_badge);
        sched_set_state(sender, THREAD_RUNNING);
        return;
    }
    sched_set_state(receiver, THREAD_BLOCKED_ON_RECV);
    enqueue(ep, receiver);
}
