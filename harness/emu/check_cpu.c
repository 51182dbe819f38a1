/* Check 3, CPU state: the exception level, interrupt mask and translation
 * registers at the kernel entry are within what seL4 13.0.0 requires
 * (facts file §3.2): it never writes TCR or MAIR and runs its first
 * instructions on the loader's tables with the MMU and caches on. */
#include "checks.h"

#include "../../loader/common/pagetable.h"

#define DAIF_ALL_MASKED   0x3c0u
#define TCR_EPD0          (UINT64_C(1) << 7)
#define TCR_TG0_MASK      (UINT64_C(3) << 14)
#define TCR_TG1_MASK      (UINT64_C(3) << 30)
#define TCR_IPS_MASK      (UINT64_C(7) << TCR_EL1_IPS_SHIFT)
#define HCR_EL2_E2H       (UINT64_C(1) << 34)
#define HCR_EL2_TGE       (UINT64_C(1) << 27)

static void need(struct emu_check *c, int ok, const char *fmt, unsigned long value, const char *why)
{
    if (ok)
        return;
    c->status = EMU_CHECK_FAIL;
    sb_printf(&c->message, fmt, value);
    sb_printf(&c->message, ": %s\n", why);
}

static void check_sctlr(struct emu_check *c, uint64_t sctlr, unsigned el)
{
    const char *name = el == 2 ? "SCTLR_EL2 0x%lx" : "SCTLR_EL1 0x%lx";
    need(c, sctlr & SCTLR_M, name, sctlr,
         "M = 0, the MMU must be on (_start is linked at a kernel VA)");
    need(c, (sctlr & SCTLR_C) && (sctlr & SCTLR_I), name, sctlr,
         "C and I must be set: seL4 is entered with caches on and coherent");
    need(c, !(sctlr & SCTLR_A), name, sctlr,
         "A (alignment checking) must be clear");
    need(c, !(sctlr & SCTLR_EE), name, sctlr,
         "EE must be clear: the kernel is little-endian");
    need(c, !(sctlr & SCTLR_WXN), name, sctlr,
         "WXN would make the writable kernel window non-executable");
    if (el == 1)
        need(c, (sctlr & SCTLR_nTWI) && (sctlr & SCTLR_nTWE), name, sctlr,
             "nTWI and nTWE must be set: seL4 keeps them as the loader leaves them, and with 0 "
             "a user thread's WFI / WFE traps into seL4 as a user exception fault");
}

static void check_tcr_el1(struct emu_check *c, uint64_t tcr)
{
    need(c, (tcr & 0x3f) == 64 - PT_VA_BITS && ((tcr >> 16) & 0x3f) == 64 - PT_VA_BITS,
         "TCR_EL1 0x%lx", tcr, "T0SZ and T1SZ must be 16 (48-bit VA)");
    need(c, (tcr & TCR_TG0_MASK) == TCR_TG0_4K && (tcr & TCR_TG1_MASK) == TCR_TG1_4K,
         "TCR_EL1 0x%lx", tcr, "TG0/TG1 must select 4 KiB granules");
    need(c, (tcr & TCR_EL1_AS) != 0, "TCR_EL1 0x%lx", tcr,
         "AS must be 1: seL4 puts 16-bit ASIDs in TTBR0[63:48]");
    need(c, !(tcr & TCR_EPD0) && !(tcr & TCR_EPD1), "TCR_EL1 0x%lx", tcr,
         "EPD0/EPD1 must be 0: both TTBR walks are used");
    need(c, ((tcr & TCR_IPS_MASK) >> TCR_EL1_IPS_SHIFT) >= TCR_PS_40BIT, "TCR_EL1 0x%lx", tcr,
         "IPS must cover 40-bit PAs (seL4's PADDR_TOP is 0x7fc0000000)");
}

void check_cpu_state(const struct emu_ctx *x, struct emu_check *c)
{
    const struct emu_entry_state *s = &x->entry;
    unsigned want_el = x->exp->kernel_el;
    if (s->el != want_el) {
        c->status = EMU_CHECK_FAIL;
        sb_printf(&c->message, "kernel entered at EL%u, expected EL%u (%s kernel)\n", s->el, want_el,
                  want_el == 2 ? "hyp" : "EL1");
    }
    need(c, (s->pstate & DAIF_ALL_MASKED) == DAIF_ALL_MASKED, "PSTATE 0x%lx", s->pstate,
         "DAIF must all be masked at the kernel entry");
    check_sctlr(c, s->sctlr, s->el);
    need(c, ((s->mair >> (8 * MAIR_IDX_DEVICE_nGnRnE)) & 0xff) == MAIR_ATTR_DEVICE_nGnRnE,
         "MAIR 0x%lx", s->mair, "index 0 must be Device-nGnRnE (0x00): seL4's device type");
    need(c, ((s->mair >> (8 * MAIR_IDX_NORMAL_WB)) & 0xff) == MAIR_ATTR_NORMAL_WB,
         "MAIR 0x%lx", s->mair, "index 4 must be Normal WB RW-allocate (0xff): seL4's memory type");
    if (s->el == 2) {
        need(c, s->tcr == TCR_EL2_SEL4_HYP, "TCR_EL2 0x%lx", s->tcr,
             "seL4's checkTCR_EL2 requires exactly 0x80823510 and fails silently otherwise");
        need(c, !(s->hcr & (HCR_EL2_E2H | HCR_EL2_TGE)), "HCR_EL2 0x%lx", s->hcr,
             "E2H and TGE must be clear: seL4 uses the plain EL2 regime");
    } else {
        check_tcr_el1(c, s->tcr);
    }
    if (c->status == EMU_CHECK_PASS)
        sb_printf(&c->message, "EL%u, PSTATE 0x%lx, SCTLR 0x%lx, TCR 0x%lx, MAIR 0x%lx", s->el,
                  (unsigned long)s->pstate, (unsigned long)s->sctlr, (unsigned long)s->tcr,
                  (unsigned long)s->mair);
}
