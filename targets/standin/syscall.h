/* Syscalls, shared by the architectures: the arch's trap entry saves the
 * user context (with FaultIP at the syscall instruction and NextIP after
 * it) and calls handle_syscall. */
#ifndef STANDIN_SYSCALL_H
#define STANDIN_SYSCALL_H

#include <stdint.h>

/* Runs the syscall in ksCurThread's registers, then chooses the next thread. */
void handle_syscall(void);

/* A syscall number the stand-in does not offer: the architecture's report
 * line, then power-off. */
__attribute__((noreturn)) void arch_unsupported_syscall(int64_t number);

#endif
