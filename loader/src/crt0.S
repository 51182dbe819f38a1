/* Loader entry. QEMU jumps here (the image's e_entry) at EL1 or EL2 with the
 * MMU off. Before any C runs we need: interrupts masked, a stack, vectors
 * that report faults, FP/SIMD enabled (libfdt and the C library use SIMD
 * registers; QEMU traps them while CPACR_EL1.FPEN is 0) and a zeroed .bss
 * (up to __bss_zero_end: see loader.ld). */

    .section .text.start, "ax"
    .global _start
_start:
    msr     daifset, #0xf
    mov     x19, x0                 /* whatever the previous stage passed */
    ldr     x9, =__stack_top
    mov     sp, x9
    ldr     x10, =loader_vectors
    mrs     x9, CurrentEL
    lsr     x9, x9, #2
    cmp     x9, #2
    b.ne    1f
    msr     vbar_el2, x10
    mov     x11, #0x33ff            /* CPTR_EL2: RES1 bits, TFP = 0 */
    msr     cptr_el2, x11
1:  msr     vbar_el1, x10
    mov     x11, #(3 << 20)         /* CPACR_EL1.FPEN: no FP/SIMD traps */
    msr     cpacr_el1, x11
    isb

    ldr     x0, =__bss_start
    ldr     x1, =__bss_zero_end
2:  cmp     x0, x1
    b.hs    3f
    stp     xzr, xzr, [x0], #16
    b       2b
3:
    mov     x0, x19
    bl      loader_main
    b       loader_halt
