/* Endpoint IPC with seL4's semantics: Send, NBSend, Call, Recv, NBRecv and
 * the reply. A message is the label and length from the sender's x1,
 * MR0..MR3 in x2..x5 and MR4 onwards copied between the two IPC buffers;
 * the receiver gets the badge in x0. Capabilities are not transferred
 * (extraCaps arrives as 0).
 *
 * The reply differs by kernel. Non-MCS: a Call leaves a reply capability
 * in the receiver's caller slot (tcb.caller) when the endpoint cap has
 * Grant or GrantReply, answered by Reply / ReplyRecv. MCS: the receiver
 * names a reply object in Recv (x6); a Call (or a fault) links the caller
 * to it, and invoking the reply cap answers. Without Grant/GrantReply, or
 * on MCS without a reply object, the caller is left inactive, as on seL4. */
#ifndef STANDIN_IPC_H
#define STANDIN_IPC_H

#include "cap.h"
#include "sel4_abi.h"
#include "thread.h"

/* seL4's sendIPC on an endpoint cap. Blocking: Send, Call and fault
 * messages queue the sender until a receiver comes; NBSend drops the
 * message when none waits. can_donate (MCS): a receiver without a
 * SchedContext gets the sender's (Call, and the send phase of ReplyRecv,
 * NBSendRecv, NBSendWait). */
void ipc_send(struct tcb *sender, const struct cap *endpoint, int blocking, int is_call,
              int can_donate);

/* A fault message to the fault handler endpoint (seL4's sendFaultIPC
 * after its checks). */
void ipc_send_fault(struct tcb *faulting, const struct cap *handler);

/* seL4's receiveIPC after handleRecv's checks. Non-MCS: the caller slot is
 * emptied first; MCS: reply is the reply cap Recv named (0 for Wait).
 * NBRecv with no sender sets x0 = 0. */
void ipc_recv(struct tcb *receiver, const struct cap *endpoint, int blocking,
              const struct cap *reply);

#if CONFIG_KERNEL_MCS
/* Invoking a reply cap (seL4's doReplyTransfer): answers the caller
 * waiting on that reply object, if any. */
void ipc_reply_with_object(struct tcb *replier, const struct cap *reply_cap);
#else
/* SysReply: answers the Call in the caller slot, if any. */
void ipc_reply(struct tcb *replier);
#endif

/* seL4's cancelIPC: a thread blocked on an endpoint or a notification
 * leaves its queue (and becomes inactive); one blocked on a reply stops
 * waiting for it (non-MCS: the reply cap naming it leaves the caller slot
 * that holds it; MCS: it leaves its reply object). */
void ipc_cancel(struct tcb *t);

/* seL4's setMR: message register i of a message to t (x2..x5, then the IPC
 * buffer). Returns the message length so far (i + 1, or 4 when MR i needs
 * a buffer t does not have). */
unsigned ipc_set_mr(struct tcb *t, seL4_IPCBuffer *buffer, unsigned i, uint64_t value);

#endif
