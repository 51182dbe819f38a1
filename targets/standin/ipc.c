#include "ipc.h"

#include "fault.h"
#include "invocation.h"
#include "queue.h"
#include "sched.h"
#include "vspace.h"
#if CONFIG_KERNEL_MCS
#include "reply.h"
#include "sched_context.h"
#endif

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
        t->registers[REG_MR(i)] = value;
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
    uint64_t info = sender->registers[REG_MSG_INFO];
    uint64_t length = SEL4_MSGINFO_LENGTH(info);
    if (length > SEL4_MSG_MAX_LENGTH)
        length = SEL4_MSG_MAX_LENGTH;
    seL4_IPCBuffer *from = thread_ipc_buffer(sender), *to = thread_ipc_buffer(receiver);
    uint64_t sent = 0;
    for (; sent < length && sent < SEL4_FAST_MESSAGE_REGISTERS; sent++)
        receiver->registers[REG_MR(sent)] = sender->registers[REG_MR(sent)];
    if (from != 0 && to != 0)
        for (; sent < length; sent++)
            to->msg[sent] = from->msg[sent];
    receiver->registers[REG_CAP] = badge;
    receiver->registers[REG_MSG_INFO] = SEL4_MSGINFO(SEL4_MSGINFO_LABEL(info), 0, 0, sent);
}

/* seL4's doIPCTransfer: a faulting sender sends its fault message. */
static void transfer(struct tcb *sender, struct tcb *receiver, uint64_t badge)
{
    if (sender->fault.type == FAULT_NULL) {
        normal_transfer(sender, receiver, badge);
        return;
    }
    unsigned length = fault_set_mrs(sender, receiver, thread_ipc_buffer(receiver));
    receiver->registers[REG_CAP] = badge;
    receiver->registers[REG_MSG_INFO] = SEL4_MSGINFO(abi_fault_label(sender->fault.type), 0, 0, length);
}

#if CONFIG_KERNEL_MCS
/* A Call or a fault message was delivered: the caller waits on the
 * receiver's reply object, or stops when there is none or the endpoint cap
 * allows no reply (seL4's sendIPC / receiveIPC, MCS). */
static void after_call_delivered(struct tcb *caller, const struct ipc_block *how,
                                 struct tcb *receiver, struct reply *reply, int can_donate)
{
    if (reply != 0 && (how->can_grant || how->can_grant_reply))
        reply_push(caller, receiver, reply, can_donate);
    else
        sched_set_state(caller, THREAD_INACTIVE);
}

static int expects_reply(const struct tcb *sender, const struct ipc_block *how)
{
    return how->is_call || sender->fault.type != FAULT_NULL;
}
#else
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
#endif

static void send(struct tcb *sender, struct endpoint *ep, int blocking, struct ipc_block how)
{
    if (queue_holds(ep, THREAD_BLOCKED_ON_RECV)) {
        struct tcb *receiver = queue_pop(&ep->queue);
        transfer(sender, receiver, how.badge);
#if CONFIG_KERNEL_MCS
        struct reply *reply = receiver->reply;
        if (reply != 0)
            reply_unlink(reply, receiver);
        if (expects_reply(sender, &how))
            after_call_delivered(sender, &how, receiver, reply, how.can_donate);
        else if (how.can_donate && receiver->sc == 0 && sender->sc != 0)
            sc_donate(sender->sc, receiver);
        sched_wake(receiver);
#else
        int reply_can_grant = receiver->blocked.can_grant;
        sched_wake(receiver);
        if (how.is_call)
            after_call_delivered(sender, &how, receiver, reply_can_grant);
#endif
        return;
    }
    if (!blocking)
        return;   /* NBSend with nobody waiting: dropped */
    sender->blocked = how;
    sched_set_state(sender, THREAD_BLOCKED_ON_SEND);
    queue_append(&ep->queue, sender);
}

void ipc_send(struct tcb *sender, const struct cap *endpoint, int blocking, int is_call,
              int can_donate)
{
    struct ipc_block how = { .badge = endpoint->badge,
                             .can_grant = (endpoint->rights & SEL4_CAN_GRANT) != 0,
                             .can_grant_reply = (endpoint->rights & SEL4_CAN_GRANT_REPLY) != 0,
                             .is_call = (uint8_t)is_call,
                             .can_donate = (uint8_t)(CONFIG_KERNEL_MCS && can_donate) };
    send(sender, endpoint_of(endpoint), blocking, how);
}

void ipc_send_fault(struct tcb *faulting, const struct cap *handler)
{
#if CONFIG_KERNEL_MCS
    /* A fault is sent like a blocking Send that expects a reply, with the
     * handler cap's own rights; the faulting thread's SchedContext may go
     * to a passive handler. */
    struct ipc_block how = { .badge = handler->badge,
                             .can_grant = (handler->rights & SEL4_CAN_GRANT) != 0,
                             .can_grant_reply = (handler->rights & SEL4_CAN_GRANT_REPLY) != 0,
                             .is_call = 0, .can_donate = faulting->sc != 0 };
#else
    /* seL4 passes canGrantReply = true for fault messages: the handler
     * always gets the reply cap. */
    struct ipc_block how = { .badge = handler->badge,
                             .can_grant = (handler->rights & SEL4_CAN_GRANT) != 0,
                             .can_grant_reply = 1, .is_call = 1 };
#endif
    send(faulting, endpoint_of(handler), 1, how);
}

void ipc_recv(struct tcb *receiver, const struct cap *endpoint, int blocking,
              const struct cap *reply_cap)
{
    struct endpoint *ep = endpoint_of(endpoint);
#if CONFIG_KERNEL_MCS
    struct reply *reply = reply_cap != 0 ? reply_of_object(reply_cap->object) : 0;
    /* A reply object still holding an unanswered caller (or another
     * waiting receiver): that one is cancelled. */
    if (reply != 0 && reply->tcb != 0 && reply->tcb != receiver)
        ipc_cancel(reply->tcb);
#else
    (void)reply_cap;
    /* deleteCallerCap: an unanswered Call stays blocked on its reply. */
    receiver->caller = 0;
#endif
    if (queue_holds(ep, THREAD_BLOCKED_ON_SEND)) {
        struct tcb *sender = queue_pop(&ep->queue);
        transfer(sender, receiver, sender->blocked.badge);
#if CONFIG_KERNEL_MCS
        if (expects_reply(sender, &sender->blocked))
            after_call_delivered(sender, &sender->blocked, receiver, reply,
                                 sender->sc != 0 && sender->fault.type != FAULT_TIMEOUT);
        else
            sched_wake(sender);
#else
        if (sender->blocked.is_call)
            after_call_delivered(sender, &sender->blocked, receiver,
                                 (endpoint->rights & SEL4_CAN_GRANT) != 0);
        else
            sched_wake(sender);
#endif
        return;
    }
    if (!blocking) {
        receiver->registers[REG_CAP] = 0;   /* doNBRecvFailedTransfer */
        return;
    }
#if CONFIG_KERNEL_MCS
    receiver->reply = reply;
    if (reply != 0)
        reply->tcb = receiver;
#else
    receiver->blocked = (struct ipc_block){ .can_grant = (endpoint->rights & SEL4_CAN_GRANT) != 0 };
#endif
    sched_set_state(receiver, THREAD_BLOCKED_ON_RECV);
    queue_append(&ep->queue, receiver);
}

/* The answer reached the caller (seL4's doReplyTransfer after finding it):
 * the message, or for a fault the registers the reply sets and a restart
 * (or a stop when the reply says so). */
static void deliver_reply(struct tcb *replier, struct tcb *caller)
{
    if (caller->fault.type == FAULT_NULL) {
        transfer(replier, caller, 0);
        sched_set_state(caller, THREAD_RUNNING);
        return;
    }
    int restart = fault_handle_reply(caller, replier);
    caller->fault.type = FAULT_NULL;
    if (restart) {
        caller->registers[REG_NEXT_IP] = caller->registers[REG_FAULT_IP];
        sched_set_state(caller, THREAD_RUNNING);
    } else {
        sched_set_state(caller, THREAD_INACTIVE);
    }
}

#if CONFIG_KERNEL_MCS
void ipc_reply_with_object(struct tcb *replier, const struct cap *reply_cap)
{
    struct reply *reply = reply_of_object(reply_cap->object);
    struct tcb *caller = reply->tcb;
    if (caller == 0 || caller->state != THREAD_BLOCKED_ON_REPLY)
        return;   /* nobody waits on it: nothing to do, as on seL4 */
    reply_remove(reply, caller);
    deliver_reply(replier, caller);
    if (caller->sc != 0 && sched_runnable(caller))
        sched_possible_switch_to(caller);
}
#else
void ipc_reply(struct tcb *replier)
{
    struct tcb *caller = replier->caller;
    if (caller == 0)
        return;   /* no Call pending: nothing to do, as on seL4 */
    replier->caller = 0;
    deliver_reply(replier, caller);
    if (sched_runnable(caller))
        sched_possible_switch_to(caller);
}
#endif

void ipc_cancel(struct tcb *t)
{
#if CONFIG_KERNEL_MCS
    /* On MCS, cancelling IPC also drops the fault being delivered. */
    t->fault.type = FAULT_NULL;
#endif
    switch (t->state) {
    case THREAD_BLOCKED_ON_SEND:
    case THREAD_BLOCKED_ON_RECV:
    case THREAD_BLOCKED_ON_NOTIFICATION:
        queue_remove(t->blocked_queue, t);
#if CONFIG_KERNEL_MCS
        if (t->reply != 0)
            reply_unlink(t->reply, t);
#endif
        sched_set_state(t, THREAD_INACTIVE);
        break;
    case THREAD_BLOCKED_ON_REPLY:
#if CONFIG_KERNEL_MCS
        reply_remove_tcb(t);
#else
        t->fault.type = FAULT_NULL;
        for (struct tcb *replier = sched_all_threads(); replier != 0;
             replier = replier->sched_next)
            if (replier->caller == t)
                replier->caller = 0;
#endif
        break;
    default:
        break;
    }
}
