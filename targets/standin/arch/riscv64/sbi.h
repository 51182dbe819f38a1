/* The SBI calls the riscv64 stand-in makes besides the console and
 * power-off (uart.h, power.h). */
#ifndef STANDIN_RV_SBI_H
#define STANDIN_RV_SBI_H

#include <stdint.h>

/* Legacy set_timer (as seL4 calls it): the supervisor timer interrupt
 * (sip.STIP) becomes pending once the time CSR reaches `when`; UINT64_MAX
 * disarms it. Clears a pending one. */
void sbi_set_timer(uint64_t when);

#endif
