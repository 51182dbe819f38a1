/* Kernel entry from the loader, as seL4's riscv head.S expects it: S-mode,
 * satp = Sv39 with this image's window mapped, interrupts off,
 * a0..a5 = init_kernel's arguments (user image [a0, a1), pv offset a2,
 * entry a3, DTB a4 and its size a5), sp unusable. With MAX_NUM_NODES > 1
 * every hart enters here with a6 = its hart id and a7 = its logical core id
 * (boot hart 0); see smp.h. */
#include "config.h"
#include "smp.h"

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
#if MAX_NUM_NODES > 1
    /* Claim this hart's core id before touching anything that belongs to
     * it: an id out of range or taken twice would overrun or share a kernel
     * stack (seL4 would do just that), so such a hart is parked here and the
     * boot hart reports it. */
    li      t0, MAX_NUM_NODES
    bgeu    a7, t0, park_core_id_out_of_range
    la      t1, core_entries
    slli    t0, a7, CORE_ENTRY_SIZE_BITS
    add     t1, t1, t0
    li      t3, CORE_ENTERED
2:  lr.d.aq t2, (t1)
    bnez    t2, park_core_id_taken
    sc.d.rl t2, t3, (t1)
    bnez    t2, 2b
    sd      a0, CORE_ENTRY_A0(t1)
    sd      a1, CORE_ENTRY_A0 + 8(t1)
    sd      a2, CORE_ENTRY_A0 + 16(t1)
    sd      a3, CORE_ENTRY_A0 + 24(t1)
    sd      a4, CORE_ENTRY_A0 + 32(t1)
    sd      a5, CORE_ENTRY_A0 + 40(t1)
    sd      a6, CORE_ENTRY_HART(t1)
    fence   rw, rw
    /* kernel_stack_alloc[a7], as seL4's head.S. */
    la      sp, kernel_stack_alloc + KERNEL_STACK_SIZE
    slli    t0, a7, KERNEL_STACK_BITS
    add     sp, sp, t0
#else
    la      sp, kernel_stack_alloc + KERNEL_STACK_SIZE
#endif
    /* sscratch = 0 means "trapped from the kernel" (trap.S). */
    csrw    sscratch, zero
    /* Our trap vector before anything can fault, so even a fault in
     * init_kernel is reported (seL4 sets it in init_cpu). */
    la      t0, trap_entry
    csrw    stvec, t0
#if MAX_NUM_NODES > 1
    /* Like seL4's init_kernel: core 0 boots, the others wait for it. */
    beqz    a7, 3f
    mv      a0, a7
    j       init_secondary_core
3:
#endif
    /* a0..a5 are still the loader's values. */
    call    init_kernel
    j       restore_user_context
    .size _start, . - _start

#if MAX_NUM_NODES > 1
    /* Parked harts run no C and use no stack. With interrupts off and none
     * enabled, wfi keeps them asleep. */
park_core_id_taken:
    li      t2, 1
    addi    t1, t1, CORE_ENTRY_DUPLICATE
    fence   rw, w
    sd      t2, 0(t1)
    j       park_core
park_core_id_out_of_range:
    la      t1, core_id_out_of_range
    sd      a7, CORE_REFUSAL_ID(t1)
    li      t2, 1
    fence   rw, w
    sd      t2, CORE_REFUSAL_SEEN(t1)
park_core:
    csrw    sie, zero
1:  wfi
    j       1b
#endif

    /* One 4 KiB stack per hart: the symbol's size tells a loader (and a
     * debugger) how many harts this kernel boots. */
    .section .bss.stack, "aw", @nobits
    .balign 4096
    .global kernel_stack_alloc
kernel_stack_alloc:
    .space  KERNEL_STACK_SIZE * MAX_NUM_NODES
    .size kernel_stack_alloc, KERNEL_STACK_SIZE * MAX_NUM_NODES
