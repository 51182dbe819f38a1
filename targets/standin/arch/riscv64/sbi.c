/* Console and power-off through the SBI firmware (OpenSBI), as seL4 on
 * RISC-V prints: the legacy console putchar (a7 = 1). The kernel maps no
 * UART, so the console works from the first instruction. */
#include <stdarg.h>
#include <stdint.h>

#include "fmt.h"
#include "power.h"
#include "sbi.h"
#include "uart.h"

#define SBI_LEGACY_SET_TIMER       0
#define SBI_LEGACY_CONSOLE_PUTCHAR 1
#define SBI_LEGACY_SHUTDOWN        8
#define SBI_EXT_SRST               0x53525354   /* "SRST" */
#define SBI_SRST_SHUTDOWN          0

static long sbi_call(long ext, long fid, long arg0, long arg1)
{
    register long a0 __asm__("a0") = arg0;
    register long a1 __asm__("a1") = arg1;
    register long a6 __asm__("a6") = fid;
    register long a7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
    return a0;
}

void sbi_set_timer(uint64_t when)
{
    sbi_call(SBI_LEGACY_SET_TIMER, 0, (long)when, 0);
}

void uart_putchar(char c)
{
    if (c == '\n')
        sbi_call(SBI_LEGACY_CONSOLE_PUTCHAR, 0, '\r', 0);
    sbi_call(SBI_LEGACY_CONSOLE_PUTCHAR, 0, (unsigned char)c, 0);
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

void power_off(void)
{
    /* SBI system reset first (OpenSBI 0.7+), the legacy call if it is
     * missing; on QEMU virt either makes QEMU exit. */
    long status = sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, 0);
    sbi_call(SBI_LEGACY_SHUTDOWN, 0, 0, 0);
    kprintf("\nstand-in: SBI shutdown returned %ld, waiting forever\n", status);
    for (;;)
        __asm__ volatile("wfi");
}

void halt(void)
{
    /* seL4 prints this without a line end; so do we, byte for byte. */
    kprintf("halting...");
    power_off();
}
