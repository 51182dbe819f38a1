/* riscv64 root task entry point.
 *
 * seL4 starts the root thread in U-mode with a0 = BootInfo VA and every
 * other register 0, sp included: there is no stack yet. We record that
 * state as found (the checks in C report on it), then give C a stack.
 * U-mode has no scratch register to park a value in, so t6 (x31) becomes
 * the base for the stores; a non-zero t6 is flagged rather than recorded. */
#include "entry_state.h"

    .section .text.entry, "ax"
    .global _start
    .type _start, %function
_start:
    .option push
    .option norelax
    bnez    t6, 1f
    lla     t6, entry_state          /* t6 was 0: x[31] stays 0 (bss) */
    j       2f
1:  lla     t6, entry_state          /* t6 was not 0: its value is lost */
    sd      t6, ENTRY_STATE_T6_LOST_OFFSET(t6)
    sd      t6, 248(t6)
2:  sd      x1, 8(t6)
    sd      x2, 16(t6)
    sd      x3, 24(t6)
    sd      x4, 32(t6)
    sd      x5, 40(t6)
    sd      x6, 48(t6)
    sd      x7, 56(t6)
    sd      x8, 64(t6)
    sd      x9, 72(t6)
    sd      x10, 80(t6)
    sd      x11, 88(t6)
    sd      x12, 96(t6)
    sd      x13, 104(t6)
    sd      x14, 112(t6)
    sd      x15, 120(t6)
    sd      x16, 128(t6)
    sd      x17, 136(t6)
    sd      x18, 144(t6)
    sd      x19, 152(t6)
    sd      x20, 160(t6)
    sd      x21, 168(t6)
    sd      x22, 176(t6)
    sd      x23, 184(t6)
    sd      x24, 192(t6)
    sd      x25, 200(t6)
    sd      x26, 208(t6)
    sd      x27, 216(t6)
    sd      x28, 224(t6)
    sd      x29, 232(t6)
    sd      x30, 240(t6)
    li      t6, 0
    lla     sp, stack_top
    li      ra, 0
    li      s0, 0
    call    roottask_main
    .option pop
    /* roottask_main does not return; if it ever does, keep yielding so the
     * thread never spins silently on the CPU (non-MCS Yield). */
3:  li      a7, -7
    ecall
    j       3b
    .size _start, . - _start

    /* Zeroed with the rest of .bss by whoever loads us (seL4's loader
     * zeroes the image's bss), and written before anything reads it. */
    .section .bss.entry_state, "aw", %nobits
    .balign 8
    .global entry_state
    .type entry_state, %object
entry_state:
    .space  ENTRY_STATE_SIZE
    .size entry_state, ENTRY_STATE_SIZE

    /* 16 KiB is ample: the deepest path is the formatter under a check. */
    .section .bss.stack, "aw", %nobits
    .balign 16
stack_bottom:
    .space  16384
stack_top:
