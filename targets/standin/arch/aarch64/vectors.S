/* Exception vectors, the EL0 context save, and restore_user_context.
 *
 * While a user thread runs, SP_EL1 points at ksCurThread->registers, so an
 * exception from EL0 stores the user registers straight into the TCB, then
 * switches to the kernel stack (kept in TPIDR_EL1). Each entry starts on an
 * empty kernel stack: the kernel never resumes a half-done kernel path. */
#include "config.h"
#include "thread.h"
#include "traps.h"

/* One 128-byte vector slot that saves x0/x1 into the TCB and jumps to the
 * common EL0 entry with the kind in x0. */
.macro user_vector kind
    .balign 0x80
    stp     x0, x1, [sp, #REG_OFFSET(0)]
    mov     x0, #(\kind)
    b       user_trap_entry
.endm

/* A slot for an exception the kernel took itself: x0/x1 are lost, which is
 * acceptable because the only way out is the fault report and power-off. */
.macro kernel_vector kind
    .balign 0x80
    mov     x0, #(\kind)
    b       kernel_trap_entry
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .global arm_vector_table
arm_vector_table:
    kernel_vector (TRAP_FROM_EL1_SP0 | TRAP_SYNC)
    kernel_vector (TRAP_FROM_EL1_SP0 | TRAP_IRQ)
    kernel_vector (TRAP_FROM_EL1_SP0 | TRAP_FIQ)
    kernel_vector (TRAP_FROM_EL1_SP0 | TRAP_SERROR)
    kernel_vector (TRAP_FROM_EL1_SPX | TRAP_SYNC)
    kernel_vector (TRAP_FROM_EL1_SPX | TRAP_IRQ)
    kernel_vector (TRAP_FROM_EL1_SPX | TRAP_FIQ)
    kernel_vector (TRAP_FROM_EL1_SPX | TRAP_SERROR)
    user_vector   (TRAP_FROM_EL0_A64 | TRAP_SYNC)
    user_vector   (TRAP_FROM_EL0_A64 | TRAP_IRQ)
    user_vector   (TRAP_FROM_EL0_A64 | TRAP_FIQ)
    user_vector   (TRAP_FROM_EL0_A64 | TRAP_SERROR)
    user_vector   (TRAP_FROM_EL0_A32 | TRAP_SYNC)
    user_vector   (TRAP_FROM_EL0_A32 | TRAP_IRQ)
    user_vector   (TRAP_FROM_EL0_A32 | TRAP_FIQ)
    user_vector   (TRAP_FROM_EL0_A32 | TRAP_SERROR)
    .size arm_vector_table, . - arm_vector_table

    .text
user_trap_entry:
    stp     x2, x3, [sp, #REG_OFFSET(2)]
    stp     x4, x5, [sp, #REG_OFFSET(4)]
    stp     x6, x7, [sp, #REG_OFFSET(6)]
    stp     x8, x9, [sp, #REG_OFFSET(8)]
    stp     x10, x11, [sp, #REG_OFFSET(10)]
    stp     x12, x13, [sp, #REG_OFFSET(12)]
    stp     x14, x15, [sp, #REG_OFFSET(14)]
    stp     x16, x17, [sp, #REG_OFFSET(16)]
    stp     x18, x19, [sp, #REG_OFFSET(18)]
    stp     x20, x21, [sp, #REG_OFFSET(20)]
    stp     x22, x23, [sp, #REG_OFFSET(22)]
    stp     x24, x25, [sp, #REG_OFFSET(24)]
    stp     x26, x27, [sp, #REG_OFFSET(26)]
    stp     x28, x29, [sp, #REG_OFFSET(28)]
    mrs     x9, sp_el0
    stp     x30, x9, [sp, #REG_OFFSET(REG_X30)]
    mrs     x10, elr_el1
    mrs     x11, spsr_el1
    stp     x10, x11, [sp, #REG_OFFSET(REG_NEXT_IP)]
    mrs     x12, tpidr_el0
    str     x12, [sp, #REG_OFFSET(REG_TPIDR_EL0)]
    mrs     x9, tpidr_el1
#if MAX_NUM_NODES > 1
    /* SMP: TPIDR_EL1 is stack top | logical core id (head.S). */
    and     x9, x9, #~(KERNEL_STACK_SIZE - 1)
#endif
    mov     sp, x9
    bl      c_handle_user_trap
    /* not reached: the handler resumes the thread or powers off */
    b       .

kernel_trap_entry:
    adrp    x1, fault_stack
    add     x1, x1, :lo12:fault_stack
    add     sp, x1, #FAULT_STACK_SIZE
    bl      c_handle_kernel_trap
    b       .

    .global restore_user_context
    .type restore_user_context, %function
restore_user_context:
    adrp    x0, ksCurThread
    ldr     x0, [x0, :lo12:ksCurThread]
    mov     sp, x0
    ldp     x9, x10, [sp, #REG_OFFSET(REG_SP_EL0)]
    ldr     x11, [sp, #REG_OFFSET(REG_SPSR)]
    ldp     x12, x13, [sp, #REG_OFFSET(REG_TPIDR_EL0)]
    msr     sp_el0, x9
    msr     elr_el1, x10
    msr     spsr_el1, x11
    msr     tpidr_el0, x12
    msr     tpidrro_el0, x13
    ldp     x0, x1, [sp, #REG_OFFSET(0)]
    ldp     x2, x3, [sp, #REG_OFFSET(2)]
    ldp     x4, x5, [sp, #REG_OFFSET(4)]
    ldp     x6, x7, [sp, #REG_OFFSET(6)]
    ldp     x8, x9, [sp, #REG_OFFSET(8)]
    ldp     x10, x11, [sp, #REG_OFFSET(10)]
    ldp     x12, x13, [sp, #REG_OFFSET(12)]
    ldp     x14, x15, [sp, #REG_OFFSET(14)]
    ldp     x16, x17, [sp, #REG_OFFSET(16)]
    ldp     x18, x19, [sp, #REG_OFFSET(18)]
    ldp     x20, x21, [sp, #REG_OFFSET(20)]
    ldp     x22, x23, [sp, #REG_OFFSET(22)]
    ldp     x24, x25, [sp, #REG_OFFSET(24)]
    ldp     x26, x27, [sp, #REG_OFFSET(26)]
    ldp     x28, x29, [sp, #REG_OFFSET(28)]
    ldr     x30, [sp, #REG_OFFSET(REG_X30)]
    eret
    .size restore_user_context, . - restore_user_context

    .section .bss.stack, "aw", %nobits
    .balign 16
fault_stack:
    .space  FAULT_STACK_SIZE
