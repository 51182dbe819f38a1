/* Domain cap invocations (seL4's decodeDomainInvocation; from 15.0
 * src/object/domain.c): DomainSetSet, and from 15.0 the domain schedule's
 * DomainScheduleConfigure and DomainScheduleSetStart, with seL4's checks for
 * a kernel with one domain (KernelNumDomains 1) and two schedule entries
 * (KernelNumDomainSchedules 2). With one domain nothing a thread can see
 * changes; the schedule is kept so that later checks see earlier changes. */
#include "invocation.h"
#include "release.h"

#define NUM_DOMAINS            1
#define DOM_SCHEDULE_LENGTH    2
/* A schedule entry: domain in the top 8 bits, duration in the low 56. */
#define DSCHED_DOMAIN_SHIFT    56
#define DSCHED_MAX_DURATION    (UINT64_MAX >> 8)

/* seL4 15.0+ boots with one entry of the longest duration, then the end
 * marker (0). */
static uint64_t domain_schedule[DOM_SCHEDULE_LENGTH] = { DSCHED_MAX_DURATION, 0 };

static unsigned set_set(struct invocation *inv)
{
    if (inv->length == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    if (inv_arg(inv, 0) >= NUM_DOMAINS)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    if (inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    if (inv->extra[0]->tag != SEL4_CAP_TAG_THREAD)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);
    return SEL4_NO_ERROR;   /* domain 0, the only one: no change */
}

static unsigned schedule_configure(struct invocation *inv)
{
    if (inv->length < 3)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t index = inv_arg(inv, 0), domain = inv_arg(inv, 1), duration = inv_arg(inv, 2);
    if (index >= DOM_SCHEDULE_LENGTH - 1)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, DOM_SCHEDULE_LENGTH - 2);
    if (domain >= NUM_DOMAINS)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, NUM_DOMAINS - 1);
    if (duration > DSCHED_MAX_DURATION)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 2, 0);
    if (duration == 0 && domain != 0)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);
    if (index == *standin_release.dom_schedule_start && duration == 0)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 2, 0);
    domain_schedule[index] = domain << DSCHED_DOMAIN_SHIFT | duration;
    return SEL4_NO_ERROR;
}

static unsigned schedule_set_start(struct invocation *inv)
{
    if (inv->length < 1)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t index = inv_arg(inv, 0);
    if (index >= DOM_SCHEDULE_LENGTH)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, DOM_SCHEDULE_LENGTH - 1);
    if (domain_schedule[index] == 0)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    *standin_release.dom_schedule_start = index;
    return SEL4_NO_ERROR;
}

unsigned decode_domain(struct invocation *inv)
{
    switch (inv->method) {
    case SEL4_METHOD_DomainSetSet:
        return set_set(inv);
    case SEL4_METHOD_DomainScheduleConfigure:
        return schedule_configure(inv);
    case SEL4_METHOD_DomainScheduleSetStart:
        return schedule_set_start(inv);
    default:
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    }
}
