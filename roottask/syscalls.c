#include "syscalls.h"

/* One trap into the kernel. The kernel preserves the whole user context
 * except x0..x5 (the argument and message registers), so those are the only
 * clobbers besides memory: the kernel may read or write user memory (IPC
 * buffer) and the compiler must not cache across the call. */
static seL4_Word syscall1(long number, seL4_Word arg0)
{
    register seL4_Word x0 __asm__("x0") = arg0;
    register long x7 __asm__("x7") = number;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x7)
                     : "x1", "x2", "x3", "x4", "x5", "memory");
    return x0;
}

void sys_debug_put_char(char c)
{
    syscall1(SEL4_SYS_DEBUG_PUTCHAR, (unsigned char)c);
}

seL4_Word sys_debug_cap_identify(seL4_Word cptr)
{
    return syscall1(SEL4_SYS_DEBUG_CAP_IDENTIFY, cptr);
}

void sys_yield(void)
{
    syscall1(SEL4_SYS_YIELD, 0);
}

void sys_debug_halt(void)
{
    syscall1(SEL4_SYS_DEBUG_HALT, 0);
}
