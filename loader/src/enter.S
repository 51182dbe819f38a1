/* The last instructions of the loader: switch to the hand-off translation
 * tables and enter the kernel with x0..x5 as seL4 expects.
 *
 * struct handoff_regs layout (see enter.h): 0 x[6], 48 entry, 56 ttbr0,
 * 64 ttbr1, 72 tcr, 80 mair, 88 sctlr, 96 vbar. */

    .text

    .macro load_args
    ldp     x2, x3, [x9, #16]
    ldp     x4, x5, [x9, #32]
    ldp     x0, x1, [x9, #0]
    .endm

/* void enter_el1_kernel_from_el1(const struct handoff_regs *r) */
    .global enter_el1_kernel_from_el1
enter_el1_kernel_from_el1:
    mov     x9, x0
    ldr     x10, [x9, #80]
    msr     mair_el1, x10
    ldr     x10, [x9, #72]
    msr     tcr_el1, x10
    ldr     x10, [x9, #56]
    msr     ttbr0_el1, x10
    ldr     x10, [x9, #64]
    msr     ttbr1_el1, x10
    isb
    tlbi    vmalle1
    dsb     sy
    isb
    ldr     x10, [x9, #88]
    msr     sctlr_el1, x10
    msr     cpacr_el1, xzr          /* as seL4's own loader leaves it */
    isb
    ldr     x10, [x9, #48]
    load_args
    br      x10

/* void enter_el1_kernel_from_el2(const struct handoff_regs *r) */
    .global enter_el1_kernel_from_el2
enter_el1_kernel_from_el2:
    mov     x9, x0
    ldr     x10, [x9, #80]
    msr     mair_el1, x10
    ldr     x10, [x9, #72]
    msr     tcr_el1, x10
    ldr     x10, [x9, #56]
    msr     ttbr0_el1, x10
    ldr     x10, [x9, #64]
    msr     ttbr1_el1, x10
    ldr     x10, [x9, #96]
    msr     vbar_el1, x10
    ldr     x10, [x9, #88]
    msr     sctlr_el1, x10
    msr     cpacr_el1, xzr
    mov     x10, #(1 << 31)         /* HCR_EL2.RW: EL1 is AArch64; nothing trapped */
    msr     hcr_el2, x10
    mov     x10, #0x33ff            /* CPTR_EL2: no traps */
    msr     cptr_el2, x10
    mov     x10, #3                 /* CNTHCTL_EL2: EL1 may use the physical timer */
    msr     cnthctl_el2, x10
    msr     cntvoff_el2, xzr
    msr     vttbr_el2, xzr
    mov     x10, #0x3c5             /* EL1h, DAIF masked */
    msr     spsr_el2, x10
    ldr     x10, [x9, #48]
    msr     elr_el2, x10
    isb
    tlbi    vmalle1
    dsb     sy
    isb
    load_args
    eret

/* void enter_hyp_kernel(const struct handoff_regs *r): stays at EL2. */
    .global enter_hyp_kernel
enter_hyp_kernel:
    mov     x9, x0
    ldr     x10, [x9, #80]
    msr     mair_el2, x10
    ldr     x10, [x9, #72]
    msr     tcr_el2, x10
    ldr     x10, [x9, #56]
    msr     ttbr0_el2, x10
    isb
    tlbi    alle2
    dsb     sy
    isb
    ldr     x10, [x9, #88]
    msr     sctlr_el2, x10
    msr     hcr_el2, xzr
    isb
    ldr     x10, [x9, #48]
    load_args
    br      x10
