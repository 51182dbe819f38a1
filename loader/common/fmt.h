/* Minimal printf-style formatting shared by the loader, the stand-in kernel,
 * the root task and the host tools, so every component prints numbers the
 * same way and none of the bare-metal ones needs a libc.
 *
 * Supported: %s %c %% and integers %d %i %u %x %X %p with optional '0' flag,
 * field width and the 'l' / 'll' / 'z' length modifiers. %p prints 0x%016lx. */
#ifndef BOOTCHECK_FMT_H
#define BOOTCHECK_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Writes at most n-1 characters plus a terminating NUL into buf (n > 0).
 * Returns the number of characters the full output would have had. */
int bc_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int bc_snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Streams formatted output one character at a time through putc. */
typedef void (*bc_putc_fn)(char c, void *ctx);
void bc_vformat(bc_putc_fn putc, void *ctx, const char *fmt, va_list ap);

#endif
