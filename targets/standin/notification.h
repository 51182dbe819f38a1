/* Notifications with seL4's semantics: Signal (Send/NBSend/Call on a
 * notification cap) ORs the cap's badge into the notification word or
 * hands it to the first waiter; Wait (Recv, on MCS also Wait) blocks until
 * the word is non-zero and returns it in x0, clearing it; Poll (NBRecv,
 * NBWait) is Wait without blocking (x0 = 0 when nothing was signalled).
 * On MCS a notification may hold a SchedContext (SchedContext_Bind), lent
 * to a waiter that has none while it runs. Binding to a TCB is not offered. */
#ifndef STANDIN_NOTIFICATION_H
#define STANDIN_NOTIFICATION_H

#include "cap.h"
#include "config.h"
#include "thread.h"

struct notification;
struct sched_context;

/* log2 of the notification object (seL4_NotificationBits): it also names a
 * SchedContext on MCS. */
#define NOTIFICATION_BITS (CONFIG_KERNEL_MCS ? 6 : 5)

void notification_signal(const struct cap *notification);
void notification_wait(struct tcb *t, const struct cap *notification, int blocking);

#if CONFIG_KERNEL_MCS
struct notification *notification_of(const struct cap *c);
struct sched_context *notification_sched_context(const struct notification *n);
void notification_set_sched_context(struct notification *n, struct sched_context *sc);
#endif

#endif
