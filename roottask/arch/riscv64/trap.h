/* The riscv64 system-call traps, included by syscalls.c (and abi_detect.c's
 * numberless probe) only: `ecall` with
 * the syscall number in a7, the cptr (badge on return) in a0, the tag in
 * a1, MR0..MR3 in a2..a5 and the Reply object in a6, as seL4's riscv
 * libsel4 stubs use them. */
#ifndef ROOTTASK_TRAP_H
#define ROOTTASK_TRAP_H

#include "sel4_abi.h"

/* One trap with one argument. The kernel preserves the user context except
 * a0..a5 (argument and message registers), so those are the clobbers
 * besides memory (the kernel may read or write the IPC buffer). */
static inline seL4_Word trap1(long n, seL4_Word arg0)
{
    register seL4_Word a0 __asm__("a0") = arg0;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(a0)
                     : "r"(a7)
                     : "a1", "a2", "a3", "a4", "a5", "memory");
    return a0;
}

/* regs[] = { cptr/badge (a0), tag (a1), MR0..MR3 (a2..a5) }, in and out;
 * a6 = the Reply object (MCS receives; ignored otherwise). */
static inline void trap_message(long n, seL4_Word reply, seL4_Word regs[6])
{
    register seL4_Word a0 __asm__("a0") = regs[0];
    register seL4_Word a1 __asm__("a1") = regs[1];
    register seL4_Word a2 __asm__("a2") = regs[2];
    register seL4_Word a3 __asm__("a3") = regs[3];
    register seL4_Word a4 __asm__("a4") = regs[4];
    register seL4_Word a5 __asm__("a5") = regs[5];
    register seL4_Word a6 __asm__("a6") = reply;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5)
                     : "r"(a6), "r"(a7)
                     : "memory");
    regs[0] = a0;
    regs[1] = a1;
    regs[2] = a2;
    regs[3] = a3;
    regs[4] = a4;
    regs[5] = a5;
}

#endif
