/* Kernel entry from the loader. State on arrival (the hand-off contract):
 * EL1h, MMU and caches on, x0..x5 = init_kernel's arguments, SP unusable.
 * With MAX_NUM_NODES > 1 every core enters here, its logical core id in
 * TPIDR_EL1 (boot core 0); see smp.h. */
#include "config.h"
#include "smp.h"

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
#if MAX_NUM_NODES > 1
    /* Claim this core's logical id before touching anything that belongs
     * to it: an id out of range or taken twice would overrun or share a
     * kernel stack (seL4 would do just that), so such a core is parked
     * here and the boot core reports it. */
    mrs     x9, tpidr_el1
    cmp     x9, #MAX_NUM_NODES
    b.hs    park_core_id_out_of_range
    adrp    x10, core_entries
    add     x10, x10, :lo12:core_entries
    add     x10, x10, x9, lsl #CORE_ENTRY_SIZE_BITS
1:  ldaxr   x11, [x10]
    cbnz    x11, park_core_id_taken
    mov     x11, #CORE_ENTERED
    stxr    w12, x11, [x10]
    cbnz    w12, 1b
    stp     x0, x1, [x10, #CORE_ENTRY_X0]
    stp     x2, x3, [x10, #CORE_ENTRY_X0 + 16]
    stp     x4, x5, [x10, #CORE_ENTRY_X0 + 32]
    /* kernel_stack_alloc[id], and stack top | id in TPIDR_EL1, as seL4's
     * head.S: the top is 4 KiB aligned, so the low 12 bits are free. */
    adrp    x10, kernel_stack_alloc
    add     x10, x10, :lo12:kernel_stack_alloc
    add     x10, x10, x9, lsl #KERNEL_STACK_BITS
    add     x10, x10, #KERNEL_STACK_SIZE
    mov     sp, x10
    orr     x10, x10, x9
    msr     tpidr_el1, x10
#else
    adrp    x9, kernel_stack_alloc
    add     x9, x9, :lo12:kernel_stack_alloc
    add     sp, x9, #KERNEL_STACK_SIZE
#endif
    /* Our vectors before anything can fault: the loader's are reached
     * through its identity map, which init_kernel drops at once. */
    adrp    x9, arm_vector_table
    add     x9, x9, :lo12:arm_vector_table
    msr     vbar_el1, x9
    isb
#if MAX_NUM_NODES > 1
    /* Like seL4's init_kernel: core 0 boots, the others wait for it. */
    mrs     x9, tpidr_el1
    ands    x9, x9, #(KERNEL_STACK_SIZE - 1)
    b.ne    init_secondary_core
#endif
    /* x0..x5 are still the loader's values. */
    bl      init_kernel
    b       restore_user_context
    .size _start, . - _start
    .ltorg

#if MAX_NUM_NODES > 1
    /* Parked cores run no C and use no stack. wfi keeps them asleep: with
     * every interrupt masked and no GIC set up for them nothing wakes them
     * (QEMU runs wfe as a yield, a spin costing the host a core). */
park_core_id_taken:
    clrex
    mov     x11, #1
    add     x10, x10, #CORE_ENTRY_DUPLICATE
    stlr    x11, [x10]
    b       park_core
park_core_id_out_of_range:
    adrp    x10, core_id_out_of_range
    add     x10, x10, :lo12:core_id_out_of_range
    str     x9, [x10, #CORE_REFUSAL_TPIDR]
    mov     x11, #1
    add     x10, x10, #CORE_REFUSAL_SEEN
    stlr    x11, [x10]
park_core:
    wfi
    b       park_core
#endif

    /* One 4 KiB stack per core: the symbol's size tells a loader (and a
     * debugger) how many cores this kernel boots. */
    .section .bss.stack, "aw", %nobits
    .balign 4096
    .global kernel_stack_alloc
kernel_stack_alloc:
    .space  KERNEL_STACK_SIZE * MAX_NUM_NODES
    .size kernel_stack_alloc, KERNEL_STACK_SIZE * MAX_NUM_NODES
