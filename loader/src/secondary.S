/* Where PSCI CPU_ON starts the kernel's other cores (loader/src/smp.c):
 * at the boot core's starting EL, MMU and caches off, x0 = the context the
 * boot core passed (the core's logical id). Each gets its own stack before
 * any C runs, the loader's vectors, and FP/SIMD untrapped, as in crt0.S. */

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
    mov     x0, x19
    bl      smp_secondary_main
    b       loader_halt
