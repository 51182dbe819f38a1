#include "uart.h"

#include <stdarg.h>
#include <stdint.h>

#include "config.h"
#include "fmt.h"

#define PL011_DR        0x00
#define PL011_FR        0x18
#define PL011_FR_TXFF   (1u << 5)   /* transmit FIFO full */

static volatile uint32_t *uart_reg(unsigned offset)
{
    return (volatile uint32_t *)(UART_VADDR + offset);
}

static void uart_put_raw(char c)
{
    while (*uart_reg(PL011_FR) & PL011_FR_TXFF)
        ;
    *uart_reg(PL011_DR) = (uint8_t)c;
}

void uart_putchar(char c)
{
    if (c == '\n')
        uart_put_raw('\r');
    uart_put_raw(c);
}

static void console_sink(char c, void *ctx)
{
    (void)ctx;
    uart_putchar(c);
}

/* Named like seL4's printf back end, which marks a printing build. */
void impl_kvprintf(const char *fmt, va_list ap);
void impl_kvprintf(const char *fmt, va_list ap)
{
    bc_vformat(console_sink, 0, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    impl_kvprintf(fmt, ap);
    va_end(ap);
}
