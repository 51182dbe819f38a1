/* Notifications with seL4 13.0.0 semantics: Signal (Send/NBSend/Call on a
 * notification cap) ORs the cap's badge into the notification word or
 * hands it to the first waiter; Wait (Recv) blocks until the word is
 * non-zero and returns it in x0, clearing it; Poll (NBRecv) is Wait
 * without blocking (x0 = 0 when nothing was signalled). Binding to a TCB
 * is not offered. */
#ifndef STANDIN_NOTIFICATION_H
#define STANDIN_NOTIFICATION_H

#include "cap.h"
#include "thread.h"

void notification_signal(const struct cap *notification);
void notification_wait(struct tcb *t, const struct cap *notification, int blocking);

#endif
