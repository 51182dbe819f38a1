/* Exception vectors for the loader, used at EL1 and EL2 before and after the
 * MMU is on (the loader is identity-mapped, so one table serves both), and
 * left in VBAR_EL1 at the hand-off so a kernel that faults before installing
 * its own vectors is still reported. Every entry reports and stops. */

    .macro vector_entry index
    .balign 0x80
    mov     x0, #\index
    b       exception_common
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global loader_vectors
loader_vectors:
    vector_entry 0      /* current EL, SP_EL0: sync */
    vector_entry 1      /* irq */
    vector_entry 2      /* fiq */
    vector_entry 3      /* serror */
    vector_entry 4      /* current EL, SP_ELx: sync */
    vector_entry 5
    vector_entry 6
    vector_entry 7
    vector_entry 8      /* lower EL, AArch64: sync */
    vector_entry 9
    vector_entry 10
    vector_entry 11
    vector_entry 12     /* lower EL, AArch32 */
    vector_entry 13
    vector_entry 14
    vector_entry 15

exception_common:
    /* A fault may come from a broken stack: report from a stack of our own. */
    ldr     x9, =__exception_stack_top
    mov     sp, x9
    mrs     x9, CurrentEL
    lsr     x9, x9, #2
    cmp     x9, #2
    b.eq    1f
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    mrs     x4, spsr_el1
    b       2f
1:  mrs     x1, esr_el2
    mrs     x2, elr_el2
    mrs     x3, far_el2
    mrs     x4, spsr_el2
2:  mov     x5, x9
    bl      loader_exception
    b       loader_halt
