/* Check 5, rootserver: seL4's init_kernel fills its `rootserver` structure
 * itself, so the loader must not write it. Placing the kernel image writes
 * those bytes too (file contents or .bss zeros); a store counts only if it
 * leaves a value different from the ELF's byte at that address. */
#include "checks.h"

#define MAX_REPORTED 5

/* Whether the store's bytes differ from the kernel image inside [lo, hi). */
static int differs_from_image(const struct emu_ctx *x, const struct emu_store *s, uint64_t lo,
                              uint64_t hi)
{
    for (uint64_t a = lo; a < hi; a++) {
        unsigned byte = s->size <= 8 ? (unsigned)((s->value >> (8 * (a - s->addr))) & 0xff) : 0;
        if ((int)byte != emu_expected_kernel_byte(x->img, x->exp, a))
            return 1;
    }
    return 0;
}

int rootserver_untouched(const struct emu_ctx *x, struct strbuf *msg)
{
    const struct emu_expected *e = x->exp;
    if (!e->has_rootserver) {
        sb_printf(msg, "kernel has no rootserver symbol: nothing to protect");
        return 1;
    }
    uint64_t rs = e->rootserver_pa, rs_end = rs + e->rootserver_size;
    size_t bad = 0;
    for (size_t i = 0; i < x->run->nstores; i++) {
        const struct emu_store *s = &x->run->stores[i];
        uint64_t lo = s->addr > rs ? s->addr : rs;
        uint64_t hi = s->addr + s->size < rs_end ? s->addr + s->size : rs_end;
        if (lo >= hi || !differs_from_image(x, s, lo, hi))
            continue;
        if (bad++ == 0)
            sb_printf(msg,
                      "the loader wrote seL4's rootserver structure, which the kernel fills itself"
                      " in init_kernel (rootserver at paddr [0x%lx..0x%lx)):\n",
                      (unsigned long)rs, (unsigned long)rs_end);
        if (bad <= MAX_REPORTED) {
            char sym[128];
            sb_printf(msg,
                      "  %u-byte store of 0x%lx at 0x%lx (rootserver+0x%lx) from PC 0x%lx (%s)\n",
                      s->size, (unsigned long)s->value, (unsigned long)s->addr,
                      (unsigned long)(lo - rs), (unsigned long)s->pc,
                      emu_symbolize(&x->img->syms, s->pc, sym, sizeof sym));
        }
    }
    if (bad)
        return 0;
    sb_printf(msg, "no store changed rootserver at paddr [0x%lx..0x%lx)", (unsigned long)rs,
              (unsigned long)rs_end);
    return 1;
}

void check_rootserver(const struct emu_ctx *x, struct emu_check *c)
{
    if (!rootserver_untouched(x, &c->message))
        c->status = EMU_CHECK_FAIL;
}
