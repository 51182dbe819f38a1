#include "kassert.h"

#include "power.h"
#include "uart.h"

void kassert_failed(const char *condition, const char *file, unsigned line, const char *function)
{
    kprintf("seL4 failed assertion '%s' at %s:%u in function %s\n", condition, file, line, function);
    halt();
}

/* seL4's debug builds report assertions through _assert_fail; the same
 * name marks the stand-in as imitating a debug build. */
void _assert_fail(const char *condition, const char *file, unsigned line, const char *function)
    __attribute__((noreturn, alias("kassert_failed")));
