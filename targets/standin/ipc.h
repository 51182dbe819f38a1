/* Endpoint IPC with seL4 13.0.0 non-MCS semantics: Send, NBSend, Call,
 * Recv, NBRecv, Reply (and ReplyRecv as Reply then Recv). A message is the
 * label and length from the sender's x1, MR0..MR3 in x2..x5 and MR4
 * onwards copied between the two IPC buffers; the receiver gets the badge
 * in x0. A Call leaves a reply capability in the receiver's caller slot
 * (tcb.caller) when the endpoint cap has Grant or GrantReply; otherwise the
 * caller is left inactive, as on seL4. Capabilities are not transferred
 * (extraCaps arrives as 0). */
#ifndef STANDIN_IPC_H
#define STANDIN_IPC_H

#include "cap.h"
#include "sel4_abi.h"
#include "thread.h"

/* seL4's sendIPC on an endpoint cap. Blocking: Send, Call and fault
 * messages queue the sender until a receiver comes; NBSend drops the
 * message when none waits. */
void ipc_send(struct tcb *sender, const struct cap *endpoint, int blocking, int is_call);

/* A fault message to the fault handler endpoint (seL4's sendFaultIPC
 * after its checks): a blocking Call with GrantReply. */
void ipc_send_fault(struct tcb *faulting, const struct cap *handler);

/* seL4's receiveIPC after handleRecv's checks (it also empties the caller
 * slot first, as non-MCS seL4 does). NBRecv with no sender sets x0 = 0. */
void ipc_recv(struct tcb *receiver, const struct cap *endpoint, int blocking);

/* SysReply: answers the Call in the caller slot, if any. */
void ipc_reply(struct tcb *replier);

/* seL4's cancelIPC (non-MCS): a thread blocked on an endpoint or a
 * notification leaves its queue (and becomes inactive); one blocked on a
 * reply drops its fault and the reply cap naming it leaves the caller slot
 * that holds it. */
void ipc_cancel(struct tcb *t);

/* seL4's setMR: message register i of a message to t (x2..x5, then the IPC
 * buffer). Returns the message length so far (i + 1, or 4 when MR i needs
 * a buffer t does not have). */
unsigned ipc_set_mr(struct tcb *t, seL4_IPCBuffer *buffer, unsigned i, uint64_t value);

#endif
