/* Console output through seL4_DebugPutChar. Every line the root task prints
 * starts with "roottask: " so the test driver can pick its lines out of the
 * kernel's; README.md documents the line grammar. */
#ifndef ROOTTASK_PRINT_H
#define ROOTTASK_PRINT_H

#include <stdarg.h>

/* Every line starts with this prefix ("roottask: " unless changed; a
 * component that spawns others, such as system_init, sets its own). */
void print_set_prefix(const char *line_prefix);

/* Prints "roottask: " followed by the formatted text and a newline. */
void rt_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_vline(const char *fmt, va_list ap);

/* Prints a fact line "roottask: <key> = <values>". key is [A-Za-z0-9_.]+;
 * values are space-separated integers (0x-prefixed hex or plain decimal). */
void rt_fact(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
