/* Kernel entry from the loader. State on arrival (the hand-off contract):
 * EL1h, MMU and caches on, x0..x5 = init_kernel's arguments, SP unusable. */
#include "config.h"

/* SCTLR_EL1 bits written at entry, as seL4 does: MMU, D- and I-cache on,
 * EL0 may read CTR_EL0 (UCT) and do cache maintenance (UCI); no alignment
 * checking (A, SA0), little-endian at EL0 and EL1 (E0E, EE), and no WXN so
 * the root task's RWX image frames stay executable. */
#define SCTLR_SET   ((1 << 0) | (1 << 2) | (1 << 12) | (1 << 15) | (1 << 26))
#define SCTLR_CLEAR ((1 << 1) | (1 << 4) | (1 << 19) | (1 << 24) | (1 << 25))

    .section .text.start, "ax"
    .global _start
    .type _start, %function
_start:
    msr     daifset, #0xf
    msr     spsel, #1
    mrs     x9, sctlr_el1
    ldr     x10, =SCTLR_SET
    orr     x9, x9, x10
    ldr     x10, =SCTLR_CLEAR
    bic     x9, x9, x10
    msr     sctlr_el1, x9
    isb
    adrp    x9, kernel_stack_alloc
    add     x9, x9, :lo12:kernel_stack_alloc
    add     sp, x9, #KERNEL_STACK_SIZE
    /* Our vectors before anything can fault: the loader's are reached
     * through its identity map, which init_kernel drops at once. */
    adrp    x9, arm_vector_table
    add     x9, x9, :lo12:arm_vector_table
    msr     vbar_el1, x9
    isb
    /* x0..x5 are still the loader's values. */
    bl      init_kernel
    b       restore_user_context
    .size _start, . - _start
    .ltorg

    .section .bss.stack, "aw", %nobits
    .balign 4096
    .global kernel_stack_alloc
kernel_stack_alloc:
    .space  KERNEL_STACK_SIZE
    .size kernel_stack_alloc, KERNEL_STACK_SIZE
