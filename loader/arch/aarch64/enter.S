/* The last instructions of the loader: switch to the hand-off translation
 * tables and enter the kernel with x0..x5 as seL4 expects.
 */

#include "mutations.h"

#define SCTLR_M_BIT (1 << 0)
#define SCTLR_C_BIT (1 << 2)

/* Offsets into struct handoff_regs (checked by _Static_assert in enter.h). */
    .set    HR_ENTRY, 48
    .set    HR_TTBR0, 56
    .set    HR_TTBR1, 64
    .set    HR_TCR,   72
    .set    HR_MAIR,  80
    .set    HR_SCTLR, 88
    .set    HR_VBAR,  96

    .text

    /* x0..x5 from the struct at x9. */
    .macro load_args
    ldp     x2, x3, [x9, #16]
    ldp     x4, x5, [x9, #32]
    ldp     x0, x1, [x9, #0]
    .endm

    /* MAIR, TCR, TTBR0 and TTBR1 of EL1 from the struct at x9. */
    .macro set_el1_translation
    ldr     x10, [x9, #HR_MAIR]
    msr     mair_el1, x10
    ldr     x10, [x9, #HR_TCR]
    msr     tcr_el1, x10
    ldr     x10, [x9, #HR_TTBR0]
    msr     ttbr0_el1, x10
    ldr     x10, [x9, #HR_TTBR1]
    msr     ttbr1_el1, x10
    .endm

/* void enter_el1_kernel_from_el1(const struct handoff_regs *r) */
    .global enter_el1_kernel_from_el1
enter_el1_kernel_from_el1:
    mov     x9, x0
    set_el1_translation
    isb
    tlbi    vmalle1
    dsb     sy
    isb
    ldr     x10, [x9, #HR_SCTLR]
    msr     sctlr_el1, x10
    msr     cpacr_el1, xzr          /* as seL4's own loader leaves it */
    isb
    ldr     x10, [x9, #HR_ENTRY]
    load_args
    br      x10

/* void enter_el1_kernel_from_el2(const struct handoff_regs *r) */
    .global enter_el1_kernel_from_el2
enter_el1_kernel_from_el2:
    mov     x9, x0
    set_el1_translation
    ldr     x10, [x9, #HR_VBAR]
    msr     vbar_el1, x10
    ldr     x10, [x9, #HR_SCTLR]
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
    ldr     x10, [x9, #HR_ENTRY]
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
    ldr     x10, [x9, #HR_MAIR]
    msr     mair_el2, x10
    ldr     x10, [x9, #HR_TCR]
    msr     tcr_el2, x10
    ldr     x10, [x9, #HR_TTBR0]
    msr     ttbr0_el2, x10
    isb
    tlbi    alle2
    dsb     sy
    isb
    ldr     x10, [x9, #HR_SCTLR]
    msr     sctlr_el2, x10
    msr     hcr_el2, xzr
    isb
    ldr     x10, [x9, #HR_ENTRY]
    load_args
    br      x10

/* void enter_linux(uint64_t entry, uint64_t dtb): Linux's boot contract
 * (targets/linux-arm64-boot.md). The image, DTB and initrd were cleaned to
 * the point of coherency; now the MMU and D-cache go off at the EL the
 * loader runs in (EL2 stays EL2: Linux prefers it), the I-cache is
 * invalidated, and the Image is entered with x0 = DTB, x1 = x2 = x3 = 0 and
 * DAIF still all masked (crt0.S). Runs identity-mapped, so turning the MMU
 * off does not move the next instruction. */
    .global enter_linux
enter_linux:
    mov     x9, x0
    mov     x10, x1
    mov     x13, #(SCTLR_M_BIT | SCTLR_C_BIT)
    mrs     x11, CurrentEL
    cmp     x11, #(2 << 2)
    b.ne    1f
    mrs     x12, sctlr_el2
#ifndef BC_MUTATE_LINUX_MMU_ON
    bic     x12, x12, x13
#endif
    msr     sctlr_el2, x12
    b       2f
1:  mrs     x12, sctlr_el1
#ifndef BC_MUTATE_LINUX_MMU_ON
    bic     x12, x12, x13
#endif
    msr     sctlr_el1, x12
2:  isb
    ic      iallu
    dsb     sy
    isb
    mov     x0, x10
#ifdef BC_MUTATE_LINUX_X1
    mov     x1, #0x1000
#else
    mov     x1, xzr
#endif
    mov     x2, xzr
    mov     x3, xzr
    /* The loader's last instruction: gdb stops here (harness/bootcheck/board/linux_loader.py). */
    .global linux_jump
linux_jump:
    br      x9
