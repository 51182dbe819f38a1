/* The AArch64 system-call traps (svc #0; syscall number in x7, arguments
 * and results in x0..x6), included by syscalls.c (and abi_detect.c's
 * numberless probe) only. */
#ifndef ROOTTASK_TRAP_H
#define ROOTTASK_TRAP_H

#include "sel4_abi.h"

/* One trap with one argument. The kernel preserves the whole user context
 * except x0..x5 (the argument and message registers), so those are the only
 * clobbers besides memory: the kernel may read or write user memory (IPC
 * buffer) and the compiler must not cache across the call. */
static inline seL4_Word trap1(long n, seL4_Word arg0)
{
    register seL4_Word x0 __asm__("x0") = arg0;
    register long x7 __asm__("x7") = n;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x7)
                     : "x1", "x2", "x3", "x4", "x5", "memory");
    return x0;
}

/* The message-passing trap: x0 = cptr (badge on return), x1 = tag,
 * x2..x5 = MR0..MR3, all of them in and out; x6 = the Reply object (MCS
 * receives; ignored otherwise). regs[] = { cptr/badge, tag, MR0..MR3 }. */
static inline void trap_message(long n, seL4_Word reply, seL4_Word regs[6])
{
    register seL4_Word x0 __asm__("x0") = regs[0];
    register seL4_Word x1 __asm__("x1") = regs[1];
    register seL4_Word x2 __asm__("x2") = regs[2];
    register seL4_Word x3 __asm__("x3") = regs[3];
    register seL4_Word x4 __asm__("x4") = regs[4];
    register seL4_Word x5 __asm__("x5") = regs[5];
    register seL4_Word x6 __asm__("x6") = reply;
    register long x7 __asm__("x7") = n;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                     : "r"(x6), "r"(x7)
                     : "memory");
    regs[0] = x0;
    regs[1] = x1;
    regs[2] = x2;
    regs[3] = x3;
    regs[4] = x4;
    regs[5] = x5;
}

#endif
