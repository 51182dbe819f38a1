/* Loader entry. QEMU jumps here (the image's e_entry) at EL1 or EL2 with the
 * MMU off. Before any C runs we need: interrupts masked, a stack, vectors
 * that report faults, FP/SIMD enabled (libfdt and the C library use SIMD
 * registers; QEMU traps them while CPACR_EL1.FPEN is 0) and a zeroed .bss
 * (up to __bss_zero_end: see loader.ld). */

#include "cpu_init.inc"

    .section .text.start, "ax"
    .global _start
_start:
    msr     daifset, #0xf
    mov     x19, x0                 /* whatever the previous stage passed */
    ldr     x9, =__stack_top
    mov     sp, x9
    install_vectors_and_fp

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
