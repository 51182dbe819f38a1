/* Component entry. The parent starts us with pc = ELF entry, sp = the top
 * of the stack it mapped and x0..x8 as component_abi.h lists them; they are
 * kept in component_start (struct component_start) before any C runs. */
    .section .text.entry, "ax"
    .global _start
    .type _start, %function
_start:
    adrp    x9, component_start
    add     x9, x9, :lo12:component_start
    stp     x0, x1, [x9, #0]
    stp     x2, x3, [x9, #16]
    stp     x4, x5, [x9, #32]
    stp     x6, x7, [x9, #48]
    str     x8, [x9, #64]
    mov     x29, #0
    mov     x30, #0
    mov     x0, x9
    bl      component_rt_main
    /* component_rt_main does not return (its done-Call blocks for good).
     * Should it, stop with an undefined instruction: the kernel reports
     * that to our fault endpoint, the parent, which names us. (No syscall
     * here: its number depends on the kernel's ABI.) */
    udf     #0
    .size _start, . - _start
