/* Component entry. The parent starts us with pc = ELF entry, sp = the top
 * of the stack it mapped and x0..x7 as component_abi.h lists them; they are
 * kept in component_start (struct component_start) before any C runs. */
    .section .text.entry, "ax"
    .global _start
    .type _start, %function
_start:
    adrp    x8, component_start
    add     x8, x8, :lo12:component_start
    stp     x0, x1, [x8, #0]
    stp     x2, x3, [x8, #16]
    stp     x4, x5, [x8, #32]
    stp     x6, x7, [x8, #48]
    mov     x29, #0
    mov     x30, #0
    mov     x0, x8
    bl      component_rt_main
    /* component_rt_main does not return (its done-Call blocks for good);
     * should it, give the CPU away for good, never spin. */
1:  mov     x7, #-7
    svc     #0
    b       1b
    .size _start, . - _start
