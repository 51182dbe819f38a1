/* Kernel entry from the loader, as seL4's riscv head.S expects it: S-mode,
 * satp = Sv39 with this image's window mapped, interrupts off,
 * a0..a5 = init_kernel's arguments (user image [a0, a1), pv offset a2,
 * entry a3, DTB a4 and its size a5), sp unusable. */
#include "config.h"

    .section .text.start, "ax"
    .global _start
    .type _start, @function
_start:
    fence.i
.option push
.option norelax
1:  auipc   gp, %pcrel_hi(__global_pointer$)
    addi    gp, gp, %pcrel_lo(1b)
.option pop
    la      sp, kernel_stack_alloc + KERNEL_STACK_SIZE
    /* sscratch = 0 means "trapped from the kernel" (trap.S). */
    csrw    sscratch, zero
    /* Our trap vector before anything can fault, so even a fault in
     * init_kernel is reported (seL4 sets it in init_cpu). */
    la      t0, trap_entry
    csrw    stvec, t0
    /* a0..a5 are still the loader's values. */
    call    init_kernel
    j       restore_user_context
    .size _start, . - _start

    /* One 4 KiB stack per hart: the symbol's size tells a loader (and a
     * debugger) how many harts this kernel boots. */
    .section .bss.stack, "aw", @nobits
    .balign 4096
    .global kernel_stack_alloc
kernel_stack_alloc:
    .space  KERNEL_STACK_SIZE * MAX_NUM_NODES
    .size kernel_stack_alloc, KERNEL_STACK_SIZE * MAX_NUM_NODES
