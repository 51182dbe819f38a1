/* Ending the run: every stop path of the stand-in powers QEMU off, so a
 * test sees the process exit instead of waiting for a timeout. */
#ifndef STANDIN_POWER_H
#define STANDIN_POWER_H

/* Prints "halting..." (as seL4's halt() does, no line end) and powers off. */
__attribute__((noreturn)) void halt(void);

/* Powers off through PSCI SYSTEM_OFF without printing anything. */
__attribute__((noreturn)) void power_off(void);

#endif
