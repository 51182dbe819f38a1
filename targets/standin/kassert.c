#include "kassert.h"

#include "power.h"
#include "uart.h"

void kassert_failed(const char *condition, const char *file, unsigned line, const char *function)
{
    kprintf("seL4 failed assertion '%s' at %s:%u in function %s\n", condition, file, line, function);
    halt();
}
