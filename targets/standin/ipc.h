/* Endpoint IPC without reply caps: blocking Send and Recv. A message is the
 * label and length from the sender's x1, MR0..MR3 in x2..x5 and MR4 onwards
 * copied between the two IPC buffers; the receiver gets the badge in x0.
 * Capabilities are not transferred (extraCaps arrives as 0). */
#ifndef STANDIN_IPC_H
#define STANDIN_IPC_H

#include "cap.h"
#include "thread.h"

/* SysSend on an endpoint cap: delivers to a waiting receiver, or queues the
 * sender (blocked) until one comes. */
void ipc_send(struct tcb *sender, const struct cap *endpoint);

/* SysRecv on an endpoint cap: takes a queued sender's message, or blocks. */
void ipc_recv(struct tcb *receiver, const struct cap *endpoint);

#endif
