/* riscv64 component entry. The parent starts us with pc = ELF entry, sp =
 * the top of the stack it mapped, a0..a7 = x0..x7 of component_abi.h and
 * s0 = x8 (the kernel's ABI word); they are kept in component_start (struct
 * component_start) before any C runs. */
    .section .text.entry, "ax"
    .global _start
    .type _start, %function
_start:
    .option push
    .option norelax
    lla     t0, component_start
    sd      a0, 0(t0)
    sd      a1, 8(t0)
    sd      a2, 16(t0)
    sd      a3, 24(t0)
    sd      a4, 32(t0)
    sd      a5, 40(t0)
    sd      a6, 48(t0)
    sd      a7, 56(t0)
    sd      s0, 64(t0)
    li      s0, 0
    li      ra, 0
    mv      a0, t0
    call    component_rt_main
    .option pop
    /* component_rt_main does not return (its done-Call blocks for good).
     * Should it, stop with an illegal instruction: the kernel reports that
     * to our fault endpoint, the parent, which names us. (No syscall here:
     * its number depends on the kernel's ABI.) */
    unimp
    .size _start, . - _start
