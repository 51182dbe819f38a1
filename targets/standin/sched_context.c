#include "sched_context.h"

#include "notification.h"
#include "reply.h"
#include "sched.h"
#include "vspace.h"

struct sched_context *ksCurSC;

_Static_assert(sizeof(struct sched_context) <= 96,
               "a SchedContext object holds sched_context_t (96 bytes) and its refills");

struct sched_context *sc_of_object(uint64_t paddr)
{
    return paddr_to_kptr(paddr);
}

void refill_new(struct sched_context *sc, uint32_t refill_max, uint64_t budget, uint64_t period)
{
    sc->refill_max = refill_max;
    sc->budget = budget;
    sc->period = period;
}

void sc_bind_tcb(struct sched_context *sc, struct tcb *t)
{
    t->sc = sc;
    sc->tcb = t;
    if (sched_schedulable(t))
        sched_enqueue(t);
}

void sc_unbind_tcb(struct sched_context *sc)
{
    sc->tcb->sc = 0;
    sc->tcb = 0;
}

void sc_donate(struct sched_context *sc, struct tcb *to)
{
    if (sc->tcb != 0)
        sc->tcb->sc = 0;
    sc->tcb = to;
    to->sc = sc;
}

void sc_unbind_ntfn(struct sched_context *sc)
{
    if (sc->ntfn != 0) {
        notification_set_sched_context(sc->ntfn, 0);
        sc->ntfn = 0;
    }
}

void sc_unbind_reply(struct sched_context *sc)
{
    if (sc->reply != 0) {
        reply_cut_above(sc->reply);
        sc->reply = 0;
    }
}
