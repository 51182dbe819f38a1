/* Calls into the SBI firmware (OpenSBI) that started the loader in S-mode.
 * The console is the legacy putchar (EID 1), as seL4's kernel uses it; harts
 * are started with HSM (EID 0x48534D) and the machine stopped with SRST. */
#ifndef LOADER_RISCV_SBI_H
#define LOADER_RISCV_SBI_H

#include <stdint.h>

#define SBI_EXT_HSM   0x48534Du
#define SBI_EXT_SRST  0x53525354u

struct sbi_ret {
    long error;     /* 0 success, negative SBI_ERR_* */
    long value;
};

void sbi_console_putchar(char c);

/* Base extension probe_extension: non-zero when the firmware has `ext`. */
long sbi_probe_extension(uint64_t ext);

/* HSM hart_start: the hart starts in S-mode at physical `start` with the MMU
 * off, a0 = its hart id and a1 = `opaque`. */
struct sbi_ret sbi_hart_start(uint64_t hartid, uint64_t start, uint64_t opaque);

/* TIME set_timer (legacy set_timer without the extension): the supervisor
 * timer interrupt (sip.STIP) becomes pending once `time` reaches `when`;
 * UINT64_MAX disarms it. Clears a pending one. */
void sbi_set_timer(uint64_t when);

/* "SBI_ERR_INVALID_PARAM" etc. for an SBI error code. */
const char *sbi_error_name(long error);

/* SRST system shutdown (QEMU exits), else the legacy shutdown; returns only
 * if the firmware has neither. */
void sbi_shutdown(void);

#endif
