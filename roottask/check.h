/* Bookkeeping for the root task's checks: each check prints one result line
 * and the first failure becomes the reason in the final summary line. */
#ifndef ROOTTASK_CHECK_H
#define ROOTTASK_CHECK_H

#include <stdbool.h>

/* Prints "roottask: check <name> ok" when ok, otherwise
 * "roottask: check <name> FAILED: <reason>" with reason formatted from fmt.
 * The reason should name the field and the values that disagree.
 * Returns ok so callers can skip checks that depend on this one. */
bool rt_check(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

unsigned rt_checks_run(void);
unsigned rt_checks_failed(void);

/* "<check name>: <reason>" of the first failed check, or "" if none failed. */
const char *rt_first_failure(void);

#endif
