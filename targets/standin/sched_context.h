/* MCS scheduling contexts (seL4's sched_context_t, KernelIsMCS builds
 * only): which thread a SchedContext belongs to, its budget and period,
 * binding, unbinding and donation through Calls. A thread runs only while
 * it holds a configured SchedContext (sched.c). Budgets and periods are
 * recorded and checked as seL4 checks them, not enforced: there is no
 * timer, so a thread is never throttled or preempted for its budget. */
#ifndef STANDIN_SCHED_CONTEXT_H
#define STANDIN_SCHED_CONTEXT_H

#include <stdint.h>

#include "thread.h"

struct notification;
struct reply;

struct sched_context {
    struct tcb *tcb;              /* scTcb: the thread running on it */
    struct reply *reply;          /* scReply: the top of its call stack */
    struct notification *ntfn;    /* scNotification: bound passive notification */
    uint64_t budget, period;      /* timer ticks; period 0: round robin (budget == period) */
    uint64_t badge;               /* reported in timeout faults */
    uint32_t refill_max;          /* 0: never configured, cannot run a thread */
    uint8_t sporadic;
    uint8_t core;                 /* the SchedControl's core it was configured on */
};

/* seL4's ksCurSC: the SchedContext of the running thread. */
extern struct sched_context *ksCurSC;

/* The SchedContext object a cap names (kernel pointer). */
struct sched_context *sc_of_object(uint64_t paddr);

static inline int sc_active(const struct sched_context *sc)
{
    return sc->refill_max > 0;
}

/* seL4's refill_new (the same name marks an MCS build): the SchedContext's
 * budget and period in ticks (round robin: period 0) and refill count. */
void refill_new(struct sched_context *sc, uint32_t refill_max, uint64_t budget, uint64_t period);

/* seL4's schedContext_bindTCB, schedContext_unbindTCB, schedContext_donate. */
void sc_bind_tcb(struct sched_context *sc, struct tcb *t);
void sc_unbind_tcb(struct sched_context *sc);
void sc_donate(struct sched_context *sc, struct tcb *to);

/* seL4's schedContext_unbindNtfn. */
void sc_unbind_ntfn(struct sched_context *sc);

/* seL4's schedContext_unbindReply: the call stack loses its top. */
void sc_unbind_reply(struct sched_context *sc);

#endif
