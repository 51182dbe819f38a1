/* Root task entry point.
 *
 * The kernel starts us at EL0 with x0 = BootInfo VA, every other general
 * register 0 and SP_EL0 = 0, so there is no stack yet. We record that state
 * exactly as found (the checks in C report on it), then give C a stack.
 *
 * Only EL0-accessible registers are used: CurrentEL and DAIF trap at EL0
 * under seL4 (SCTLR_EL1.UMA = 0), TPIDR_EL0 and NZCV do not. */
#include "entry_state.h"

    .section .text.entry, "ax"
    .global _start
    .type _start, %function
_start:
    /* Every general register holds a value we want to record, so park x30
     * in TPIDR_EL0 (the EL0 scratch register) to free a base register. */
    msr     tpidr_el0, x30
    adrp    x30, entry_state
    add     x30, x30, :lo12:entry_state
    stp     x0, x1, [x30, #0]
    stp     x2, x3, [x30, #16]
    stp     x4, x5, [x30, #32]
    stp     x6, x7, [x30, #48]
    stp     x8, x9, [x30, #64]
    stp     x10, x11, [x30, #80]
    stp     x12, x13, [x30, #96]
    stp     x14, x15, [x30, #112]
    stp     x16, x17, [x30, #128]
    stp     x18, x19, [x30, #144]
    stp     x20, x21, [x30, #160]
    stp     x22, x23, [x30, #176]
    stp     x24, x25, [x30, #192]
    stp     x26, x27, [x30, #208]
    stp     x28, x29, [x30, #224]
    mrs     x0, tpidr_el0
    str     x0, [x30, #240]
    mov     x0, sp
    str     x0, [x30, #ENTRY_STATE_SP_OFFSET]
    /* Nothing above touches the flags, so NZCV is still the entry value. */
    mrs     x0, nzcv
    str     x0, [x30, #ENTRY_STATE_NZCV_OFFSET]
    /* Hand TPIDR_EL0 back as we found it: zero is what seL4 provides. */
    msr     tpidr_el0, xzr

    adrp    x0, stack_top
    add     x0, x0, :lo12:stack_top
    mov     sp, x0
    mov     x29, #0
    mov     x30, #0
    bl      roottask_main

    /* roottask_main does not return; if it ever does, keep yielding so the
     * thread never spins silently on the CPU. */
1:  mov     x7, #-7
    svc     #0
    b       1b
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
