#include "print.h"

#include "fmt.h"
#include "syscalls.h"

static void putc_to_kernel(char c, void *ctx)
{
    (void)ctx;
    sys_debug_put_char(c);
}

static const char *prefix = "roottask: ";

void print_set_prefix(const char *line_prefix)
{
    prefix = line_prefix;
}

static void print_text(const char *s)
{
    while (*s != '\0')
        sys_debug_put_char(*s++);
}

void rt_vline(const char *fmt, va_list ap)
{
    print_text(prefix);
    bc_vformat(putc_to_kernel, 0, fmt, ap);
    sys_debug_put_char('\n');
}

void rt_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rt_vline(fmt, ap);
    va_end(ap);
}

void rt_fact(const char *key, const char *fmt, ...)
{
    va_list ap;
    print_text(prefix);
    print_text(key);
    print_text(" = ");
    va_start(ap, fmt);
    bc_vformat(putc_to_kernel, 0, fmt, ap);
    va_end(ap);
    sys_debug_put_char('\n');
}
