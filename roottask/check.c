#include "check.h"

#include <stdarg.h>

#include "fmt.h"
#include "print.h"

static unsigned checks_run;
static unsigned checks_failed;
/* Large enough for a check name plus a reason quoting a few 64-bit values. */
static char first_failure[200];

bool rt_check(bool ok, const char *name, const char *fmt, ...)
{
    checks_run++;
    if (ok) {
        rt_line("check %s ok", name);
        return true;
    }

    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    bc_vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    rt_line("check %s FAILED: %s", name, reason);
    if (checks_failed == 0)
        bc_snprintf(first_failure, sizeof(first_failure), "%s: %s", name, reason);
    checks_failed++;
    return false;
}

unsigned rt_checks_run(void)
{
    return checks_run;
}

unsigned rt_checks_failed(void)
{
    return checks_failed;
}

const char *rt_first_failure(void)
{
    return first_failure;
}
