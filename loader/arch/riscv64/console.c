#include "console.h"

#include <stdarg.h>

#include "../../common/fmt.h"
#include "sbi.h"

static void sbi_sink(char c, void *ctx)
{
    (void)ctx;
    sbi_console_putchar(c);
}

void console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bc_vformat(sbi_sink, 0, fmt, ap);
    va_end(ap);
}

void loader_halt(void)
{
    sbi_shutdown();
    console_printf("loader: SBI shutdown returned; the machine cannot be stopped, waiting for"
                   " interrupts forever\n");
    for (;;)
        __asm__ volatile("wfi");
}

void loader_fail(const char *fmt, ...)
{
    va_list ap;
    char line[256];
    va_start(ap, fmt);
    bc_vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    console_printf("loader: error: %s\n", line);
    loader_halt();
}
