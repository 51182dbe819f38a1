/* Where PSCI CPU_ON starts the kernel's other cores (loader/arch/aarch64/smp.c):
 * at the boot core's starting EL, MMU and caches off, x0 = the context the
 * boot core passed (the core's logical id). Each gets its own stack before
 * any C runs, the loader's vectors, and FP/SIMD untrapped, as in crt0.S. */

#include "cpu_init.inc"

    .set    SMP_STACK_SIZE, 0x1000

    .text
    .global smp_secondary_entry
smp_secondary_entry:
    msr     daifset, #0xf
    mov     x19, x0
    ldr     x9, =__smp_stacks_start
    add     x10, x19, #1
    mov     x11, #SMP_STACK_SIZE
    madd    x9, x10, x11, x9        /* top of stack id: start + (id + 1) * size */
    mov     sp, x9
    install_vectors_and_fp
    mov     x0, x19
    bl      smp_secondary_main
    b       loader_halt
