#include "ipc.h"

#include "fault.h"
#include "invocation.h"
#include "queue.h"
#include "sched.h"
#include "vspace.h"

/* The 16-byte endpoint object: one queue, of senders or of receivers (the
 * state of the first thread says which, as seL4's EPState). */
struct endpoint {
    struct thread_queue queue;
};
_Static_assert(sizeof(struct endpoint) == (1u << SEL4_ENDPOINT_BITS), "endpoint object size");

static struct endpoint *endpoint_of(const struct cap *c)
{
    return paddr_to_kptr(c->object);
}

static int queue_holds(const struct endpoint *ep, enum thread_state state)
{
    return ep->queue.head != 0 && ep->queue.head->state == state;
}

unsigned ipc_set_mr(struct tcb *t, seL4_IPCBuffer *buffer, unsigned i, uint64_t value)
{
    if (i < SEL4_FAST_MESSAGE_REGISTERS) {
        t->registers[2 + i] = value;
        return i + 1;
    }
    if (buffer == 0)
        return SEL4_FAST_MESSAGE_REGISTERS;
    buffer->msg[i] = value;
    return i + 1;
}

/* seL4's doNormalTransfer: the label and MRs (registers always, buffer
 * words only when both threads have a buffer), the badge in x0. */
static void normal_transfer(struct tcb *sender, struct tcb *receiver, uint64_t badge)
{
    uint64_t info = sender->registers[1];
    uint64_t length = SEL4_MSGINFO_LENGTH(info);
    if (length > SEL4_MSG_MAX_LENGTH)
        length = SEL4_MSG_MAX_LENGTH;
    seL4_IPCBuffer *from = thread_ipc_buffer(sender), *to = thread_ipc_buffer(receiver);
    uint64_t sent = 0;
    for (; sent < length && sent < SEL4_FAST_MESSAGE_REGISTERS; sent++)
        receiver->registers[2 + sent] = sender->registers[2 + sent];
    if (from != 0 && to != 0)
        for (; sent < length; sent++)
            to->msg[sent] = from->msg[sent];
    receiver->registers[0] = badge;
    receiver->registers[1] = SEL4_MSGINFO(SEL4_MSGINFO_LABEL(info), 0, 0, sent);
}

/* seL4's doIPCTransfer: a faulting sender sends its fault message. */
static void transfer(struct tcb *sender, struct tcb *receiver, uint64_t badge)
{
    if (sender->fault.type == SEL4_FAULT_NULL) {
        normal_transfer(sender, receiver, badge);
        return;
    }
    unsigned length = fault_set_mrs(sender, receiver, thread_ipc_buffer(receiver));
    receiver->registers[0] = badge;
    receiver->registers[1] = SEL4_MSGINFO(sender->fault.type, 0, 0, length);
}

/* seL4's setupCallerCap: the caller waits for the reply, whose cap goes
 * into the receiver's caller slot. */
static void setup_caller(struct tcb *caller, struct tcb *receiver, int reply_can_grant)
{
    sched_set_state(caller, THREAD_BLOCKED_ON_REPLY);
    receiver->caller = caller;
    receiver->caller_can_grant = (uint8_t)reply_can_grant;
}

/* After a Call's message was delivered: a reply cap only with Grant or
 * GrantReply on the endpoint cap, else the caller stops (seL4). */
static void after_call_delivered(struct tcb *caller, const struct ipc_block *how,
                                 struct tcb *receiver, int reply_can_grant)
{
    if (how->can_grant || how->can_grant_reply)
        setup_caller(caller, receiver, reply_can_grant);
    else
        sched_set_state(caller, THREAD_INACTIVE);
}

static void send(struct tcb *sender, struct endpoint *ep, int blocking, struct ipc_block how)
{
    if (queue_holds(ep, THREAD_BLOCKED_ON_RECV)) {
        struct tcb *receiver = queue_pop(&ep->queue);
        transfer(sender, receiver, how.badge);
        int reply_can_grant = receiver->blocked.can_grant;
        sched_wake(receiver);
        if (how.is_call)
            after_call_delivered(sender, &how, receiver, reply_can_grant);
        return;
    }
    if (!blocking)
        return;   /* NBSend with nobody waiting: dropped */
    sender->blocked = how;
    sched_set_state(sender, THREAD_BLOCKED_ON_SEND);
    queue_append(&ep->queue, sender);
}

void ipc_send(struct tcb *sender, const struct cap *endpoint, int blocking, int is_call)
{
    struct ipc_block how = { .badge = endpoint->badge,
                             .can_grant = (endpoint->rights & SEL4_CAN_GRANT) != 0,
                             .can_grant_reply = (endpoint->rights & SEL4_CAN_GRANT_REPLY) != 0,
                             .is_call = (uint8_t)is_call };
    send(sender, endpoint_of(endpoint), blocking, how);
}

void ipc_send_fault(struct tcb *faulting, const struct cap *handler)
{
    /* seL4 passes canGrantReply = true for fault messages: the handler
     * always gets the reply cap. */
    struct ipc_block how = { .badge = handler->badge,
                             .can_grant = (handler->rights & SEL4_CAN_GRANT) != 0,
                             .can_grant_reply = 1, .is_call = 1 };
    send(faulting, endpoint_of(handler), 1, how);
}

void ipc_recv(struct tcb *receiver, const struct cap *endpoint, int blocking)
{
    struct endpoint *ep = endpoint_of(endpoint);
    /* deleteCallerCap: an unanswered Call stays blocked on its reply. */
    receiver->caller = 0;
    if (queue_holds(ep, THREAD_BLOCKED_ON_SEND)) {
        struct tcb *sender = queue_pop(&ep->queue);
        transfer(sender, receiver, sender->blocked.badge);
        if (sender->blocked.is_call)
            after_call_delivered(sender, &sender->blocked, receiver,
                                 (endpoint->rights & SEL4_CAN_GRANT) != 0);
        else
            sched_wake(sender);
        return;
    }
    if (!blocking) {
        receiver->registers[0] = 0;   /* doNBRecvFailedTransfer */
        return;
    }
    receiver->blocked = (struct ipc_block){ .can_grant = (endpoint->rights & SEL4_CAN_GRANT) != 0 };
    sched_set_state(receiver, THREAD_BLOCKED_ON_RECV);
    queue_append(&ep->queue, receiver);
}

void ipc_reply(struct tcb *replier)
{
    struct tcb *caller = replier->caller;
    if (caller == 0)
        return;   /* no Call pending: nothing to do, as on seL4 */
    replier->caller = 0;
    if (caller->fault.type == SEL4_FAULT_NULL) {
        transfer(replier, caller, 0);
        sched_wake(caller);
        return;
    }
    /* A reply to a fault message: the faulting thread restarts (or stops
     * when the reply says so), with the registers the reply set. */
    int restart = fault_handle_reply(caller, replier);
    caller->fault.type = SEL4_FAULT_NULL;
    if (restart) {
        caller->registers[REG_NEXT_IP] = caller->registers[REG_FAULT_IP];
        sched_wake(caller);
    } else {
        sched_set_state(caller, THREAD_INACTIVE);
    }
}

void ipc_cancel(struct tcb *t)
{
    switch (t->state) {
    case THREAD_BLOCKED_ON_SEND:
    case THREAD_BLOCKED_ON_RECV:
    case THREAD_BLOCKED_ON_NOTIFICATION:
        queue_remove(t->blocked_queue, t);
        sched_set_state(t, THREAD_INACTIVE);
        break;
    case THREAD_BLOCKED_ON_REPLY:
        t->fault.type = SEL4_FAULT_NULL;
        for (struct tcb *replier = sched_all_threads(); replier != 0;
             replier = replier->sched_next)
            if (replier->caller == t)
                replier->caller = 0;
        break;
    default:
        break;
    }
}
