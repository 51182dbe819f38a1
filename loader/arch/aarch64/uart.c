/* PL011 output. QEMU's PL011 needs no initialisation; polling TXFF keeps the
 * driver correct on a model that does apply back-pressure. */
#include "uart.h"

#include <stdarg.h>
#include <stdint.h>

#include "../../common/fmt.h"
#include "../../common/qemu_virt.h"

#define PL011_DR      0x00
#define PL011_FR      0x18
#define PL011_FR_TXFF (1u << 5)

/* Both registers are reached from one base register (one instruction to
 * form it per character, not three). */
static void pl011_write(volatile uint32_t *uart, char c)
{
    while (uart[PL011_FR / 4] & PL011_FR_TXFF)
        ;
    uart[PL011_DR / 4] = (uint8_t)c;
}

void uart_putc(char c)
{
    volatile uint32_t *uart = (volatile uint32_t *)(uintptr_t)VIRT_UART_BASE;
    if (c == '\n')
        pl011_write(uart, '\r');
    pl011_write(uart, c);
}

void uart_puts(const char *s)
{
    while (*s != '\0')
        uart_putc(*s++);
}

static void uart_sink(char c, void *ctx)
{
    (void)ctx;
    uart_putc(c);
}

void uart_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bc_vformat(uart_sink, 0, fmt, ap);
    va_end(ap);
}
