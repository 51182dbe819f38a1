/* The loader's output (SBI console) and its way out on an error. */
#ifndef LOADER_RISCV_CONSOLE_H
#define LOADER_RISCV_CONSOLE_H

void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Stops the machine (SBI shutdown: QEMU exits); waits for interrupts
 * forever if the firmware cannot. */
void loader_halt(void) __attribute__((noreturn));

/* Prints "loader: error: <msg>" as one line and stops the machine. */
void loader_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
