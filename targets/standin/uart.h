/* Kernel console on the PL011, reached through the kernel device window.
 * Usable only after vspace_activate_kernel() has mapped KDEV_BASE. */
#ifndef STANDIN_UART_H
#define STANDIN_UART_H

/* Writes one character; '\n' goes out as CR LF, as seL4's console does. */
void uart_putchar(char c);

/* printf-style output through loader/common/fmt.c. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
