/* The handful of seL4 system calls the root task uses, written directly
 * against the AArch64 ABI (svc #0, syscall number in x7, arguments and
 * results in x0..x5); there is no libsel4 here. */
#ifndef ROOTTASK_SYSCALLS_H
#define ROOTTASK_SYSCALLS_H

#include "sel4_abi.h"

/* Writes one character to the kernel console (needs a KernelPrinting build). */
void sys_debug_put_char(char c);

/* Returns the kernel's cap_tag for the capability in root CNode slot cptr
 * (0 = null cap / empty slot). */
seL4_Word sys_debug_cap_identify(seL4_Word cptr);

/* Gives up the rest of this time slice; returns when scheduled again. */
void sys_yield(void);

/* Stops the whole system; on real seL4 it does not return. */
void sys_debug_halt(void);

#endif
