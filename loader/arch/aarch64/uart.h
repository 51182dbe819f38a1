#ifndef LOADER_UART_H
#define LOADER_UART_H

void uart_putc(char c);
void uart_puts(const char *s);
/* printf-style output on the PL011; "\n" becomes "\r\n". */
void uart_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
