/* MCS invocations of SchedControl (ConfigureFlags) and SchedContext (Bind,
 * Unbind, UnbindObject), with seL4's checks in each release's order
 * (src/object/schedcontrol.c, schedcontext.c). SchedContext_Consumed and
 * SchedContext_YieldTo are not offered (seL4_IllegalOperation): the
 * stand-in keeps no time. */
#include <stdbool.h>

#include "invocation.h"
#include "notification.h"
#include "release.h"
#include "sched.h"
#include "sched_context.h"

/* The qemu-arm-virt timer: 62.5 MHz (TIMER_CLOCK_HZ), so seL4 converts
 * microseconds through kHz (its USE_KHZ case). */
#define TIMER_CLOCK_KHZ    UINT64_C(62500)
/* seL4's MIN_BUDGET_US: 2 * KERNEL_WCET (10 us on this platform) *
 * KernelWcetScale (1). MAX_PERIOD_US: getMaxUsToTicks() / 8, the largest
 * time that cannot overflow in tick arithmetic. */
#define KERNEL_WCET_US     UINT64_C(10)
#define MIN_BUDGET_US      (2 * KERNEL_WCET_US)
#define MAX_PERIOD_US      (UINT64_MAX / TIMER_CLOCK_KHZ / 8)
#define MIN_REFILLS        2
/* sizeof(sched_context_t) and sizeof(refill_t) in seL4: a SchedContext of
 * 2^n bytes holds (2^n - 96) / 16 refills. */
#define SCHED_CONTEXT_CORE_BYTES 96
#define REFILL_BYTES       16
/* seL4_SchedContext_Sporadic. */
#define SCHED_CONTEXT_SPORADIC 1

static uint64_t us_to_ticks(uint64_t us)
{
    return us * TIMER_CLOCK_KHZ / 1000;
}

#define MIN_BUDGET         (2 * us_to_ticks(KERNEL_WCET_US))

static uint64_t refill_absolute_max(const struct cap *sc_cap)
{
    return ((UINT64_C(1) << sc_cap->size_bits) - SCHED_CONTEXT_CORE_BYTES) / REFILL_BYTES;
}

static unsigned range(struct invocation *inv, uint64_t min, uint64_t max)
{
    return inv_error(inv, SEL4_RANGE_ERROR, 2, min, max);
}

/* seL4 13.0 and 14.0: the target cap is checked first, then the times. */
static unsigned check_configure_13(struct invocation *inv, uint64_t budget_us, uint64_t period_us,
                                   uint64_t extra_refills)
{
    const struct cap *target = inv->extra[0];
    if (target->tag != CAP_TAG_SCHED_CONTEXT)
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    if (budget_us > MAX_PERIOD_US || us_to_ticks(budget_us) < MIN_BUDGET)
        return range(inv, MIN_BUDGET_US, MAX_PERIOD_US);
    if (period_us > MAX_PERIOD_US || us_to_ticks(period_us) < MIN_BUDGET)
        return range(inv, MIN_BUDGET_US, MAX_PERIOD_US);
    if (us_to_ticks(budget_us) > us_to_ticks(period_us))
        return range(inv, MIN_BUDGET_US, period_us);
    /* The sum wraps for huge values, as seL4's does. */
    if (extra_refills + MIN_REFILLS > refill_absolute_max(target))
        return range(inv, 0, refill_absolute_max(target) - MIN_REFILLS);
    return SEL4_NO_ERROR;
}

/* seL4 15.0 and later: the times first (each bound before its conversion),
 * then the target cap, then the refills without overflow. */
static unsigned check_configure_15(struct invocation *inv, uint64_t budget_us, uint64_t period_us,
                                   uint64_t extra_refills)
{
    if (budget_us > MAX_PERIOD_US || period_us > MAX_PERIOD_US)
        return range(inv, MIN_BUDGET_US, MAX_PERIOD_US);
    if (us_to_ticks(budget_us) < MIN_BUDGET || us_to_ticks(period_us) < MIN_BUDGET)
        return range(inv, MIN_BUDGET_US, MAX_PERIOD_US);
    if (us_to_ticks(budget_us) > us_to_ticks(period_us))
        return range(inv, MIN_BUDGET_US, period_us);
    const struct cap *target = inv->extra[0];
    if (target->tag != CAP_TAG_SCHED_CONTEXT)
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    if (extra_refills > refill_absolute_max(target) - MIN_REFILLS)
        return range(inv, 0, refill_absolute_max(target) - MIN_REFILLS);
    return SEL4_NO_ERROR;
}

unsigned decode_sched_control(struct invocation *inv)
{
    if (inv->method != SEL4_METHOD_SchedControlConfigureFlags)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->extra[0] == 0 || inv->length < 5)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t budget_us = inv_arg(inv, 0), period_us = inv_arg(inv, 1);
    uint64_t extra_refills = inv_arg(inv, 2), badge = inv_arg(inv, 3), flags = inv_arg(inv, 4);
    unsigned error = release_at_least(15)
                         ? check_configure_15(inv, budget_us, period_us, extra_refills)
                         : check_configure_13(inv, budget_us, period_us, extra_refills);
    if (error != SEL4_NO_ERROR)
        return error;

    struct sched_context *sc = sc_of_object(inv->extra[0]->object);
    uint64_t budget = us_to_ticks(budget_us), period = us_to_ticks(period_us);
    /* budget == period is round robin: seL4 keeps period 0 and the
     * minimum number of refills then. */
    if (budget == period)
        refill_new(sc, MIN_REFILLS, budget, 0);
    else
        refill_new(sc, (uint32_t)(extra_refills + MIN_REFILLS), budget, period);
    sc->core = (uint8_t)inv->slot->object;
    sc->badge = badge;
    sc->sporadic = (flags & SCHED_CONTEXT_SPORADIC) != 0;
    struct tcb *t = sc->tcb;
    if (t != 0 && sched_runnable(t) && t != ksCurThread) {
        sched_enqueue(t);
        sched_possible_switch_to(t);
    }
    return SEL4_NO_ERROR;
}

/* seL4's isBlocked. */
static bool blocked(const struct tcb *t)
{
    return t->state == THREAD_BLOCKED_ON_SEND || t->state == THREAD_BLOCKED_ON_RECV ||
           t->state == THREAD_BLOCKED_ON_NOTIFICATION || t->state == THREAD_BLOCKED_ON_REPLY;
}

static unsigned bind(struct invocation *inv, struct sched_context *sc)
{
    if (inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    const struct cap *c = inv->extra[0];
    if (c->tag == SEL4_CAP_TAG_THREAD) {
        struct tcb *t = tcb_of_object(c->object);
        if (sc->tcb != 0 || t->sc != 0 || (blocked(t) && !sc_active(sc)))
            return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
        sc_bind_tcb(sc, t);
        return SEL4_NO_ERROR;
    }
    if (c->tag == SEL4_CAP_TAG_NOTIFICATION) {
        struct notification *n = notification_of(c);
        if (sc->ntfn != 0 || notification_sched_context(n) != 0)
            return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
        notification_set_sched_context(n, sc);
        sc->ntfn = n;
        return SEL4_NO_ERROR;
    }
    return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
}

static unsigned unbind_object(struct invocation *inv, struct sched_context *sc)
{
    if (inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    const struct cap *c = inv->extra[0];
    if (c->tag == SEL4_CAP_TAG_THREAD) {
        if (sc->tcb != tcb_of_object(c->object) || sc->tcb == ksCurThread)
            return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
        sc_unbind_tcb(sc);
        return SEL4_NO_ERROR;
    }
    if (c->tag == SEL4_CAP_TAG_NOTIFICATION) {
        if (sc->ntfn != notification_of(c))
            return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
        sc_unbind_ntfn(sc);
        return SEL4_NO_ERROR;
    }
    return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
}

unsigned decode_sched_context(struct invocation *inv)
{
    struct sched_context *sc = sc_of_object(inv->slot->object);
    switch (inv->method) {
    case SEL4_METHOD_SchedContextBind:
        return bind(inv, sc);
    case SEL4_METHOD_SchedContextUnbindObject:
        return unbind_object(inv, sc);
    case SEL4_METHOD_SchedContextUnbind:
        if (sc->tcb != 0 && sc->tcb == ksCurThread)
            return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
        if (sc->tcb != 0)
            sc_unbind_tcb(sc);
        sc_unbind_ntfn(sc);
        sc_unbind_reply(sc);
        return SEL4_NO_ERROR;
    default:
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    }
}
