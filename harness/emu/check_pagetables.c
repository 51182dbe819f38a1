/* Check 6, page tables: walks the tables the kernel is entered with (TTBR0/
 * TTBR1_EL1 for an EL1 kernel, TTBR0_EL2 for a hyp kernel) out of guest RAM
 * with loader/common/ptwalk.c and compares the complete translation map with
 * the expected one: kernel window Normal WB, loader identity Normal, UART
 * Device-nGnRnE, nothing else. Prints both maps as tables on a mismatch. */
#include "checks.h"

#include <stdio.h>
#include <string.h>

#include "../../loader/common/pagetable.h"

#define TCR_EPD0 (UINT64_C(1) << 7)

struct walk_ctx {
    struct emu_machine *m;
    struct ptwalk_range *ranges;
    unsigned n, max;
    int overflow;
};

static int read_desc(void *ctx, uint64_t pa, uint64_t *desc)
{
    return emu_ram_read64(((struct walk_ctx *)ctx)->m, pa, desc);
}

static int add_leaf(void *ctx, const struct ptwalk_leaf *leaf)
{
    struct walk_ctx *w = ctx;
    if (ptwalk_coalesce(w->ranges, w->max, &w->n, leaf) != 0)
        w->overflow = 1;
    return 0;
}

static void print_map(struct strbuf *b, const char *title, const struct ptwalk_range *r, unsigned n,
                      uint64_t mair, int el2)
{
    sb_printf(b, "  %s:\n  %-39s %-12s %-7s %-14s %-3s %-3s %-3s %s\n", title, "VA range", "PA start",
              "block", "AttrIndx->MAIR", "AP", el2 ? "XN" : "UXN", el2 ? "-" : "PXN", "AF");
    if (n == 0)
        sb_printf(b, "  (no mappings)\n");
    for (unsigned i = 0; i < n; i++) {
        char buf[16], type[32];
        snprintf(type, sizeof type, "%u %s", r[i].attrs.attrindx,
                 ptwalk_mair_type(mair, r[i].attrs.attrindx, buf));
        sb_printf(b, "  [0x%016lx..0x%016lx) 0x%010lx %-7s %-14s %-3u %-3u %-3s %u\n",
                  (unsigned long)r[i].va_start, (unsigned long)r[i].va_end,
                  (unsigned long)r[i].pa_start,
                  r[i].block_size == PT_L1_BLOCK_SIZE ? "1G" :
                  r[i].block_size == PT_L2_BLOCK_SIZE ? "2M" : "4K",
                  type, r[i].attrs.ap, r[i].attrs.uxn, el2 ? "-" : (r[i].attrs.pxn ? "1" : "0"),
                  r[i].attrs.af);
    }
}

/* Equal maps, comparing the memory type each AttrIndx selects (through the
 * live MAIR for the actual map, the required type for the expected map). */
static int maps_equal(const struct ptwalk_range *a, unsigned na, const struct ptwalk_range *e,
                      unsigned ne, uint64_t mair, int el2)
{
    if (na != ne)
        return 0;
    for (unsigned i = 0; i < na; i++) {
        char b1[16], b2[16];
        const char *ta = ptwalk_mair_type(mair, a[i].attrs.attrindx, b1);
        const char *te = ptwalk_mair_type(MAIR_VALUE, e[i].attrs.attrindx, b2);
        if (a[i].va_start != e[i].va_start || a[i].va_end != e[i].va_end ||
            a[i].pa_start != e[i].pa_start || a[i].block_size != e[i].block_size ||
            strcmp(ta, te) != 0 || a[i].attrs.ap != e[i].attrs.ap ||
            a[i].attrs.uxn != e[i].attrs.uxn || a[i].attrs.af != e[i].attrs.af ||
            (!el2 && a[i].attrs.pxn != e[i].attrs.pxn))   /* PXN is RES0 at EL2 */
            return 0;
    }
    return 1;
}

static void compare_table(const struct emu_ctx *x, struct emu_check *c, const char *name,
                          uint64_t ttbr, unsigned txsz, int upper, int disabled, unsigned idx)
{
    const struct emu_expected *e = x->exp;
    int el2 = x->entry.el == 2;
    struct ptwalk_range got[EMU_MAX_MAP * 4];
    struct walk_ctx w = { x->m, got, 0, EMU_MAX_MAP * 4, 0 };
    char err[PTWALK_ERR_LEN] = "";
    unsigned va_bits = ptwalk_va_bits(txsz);
    int rc = 0;
    if (!disabled) {
        uint64_t base = upper ? (uint64_t)0 - (UINT64_C(1) << va_bits) : 0;
        rc = ptwalk(ttbr, base, va_bits, read_desc, &w, add_leaf, &w, err);
    }
    if (rc == 0 && !w.overflow && maps_equal(got, w.n, e->map[idx], e->nmap[idx], x->entry.mair, el2))
        return;
    c->status = EMU_CHECK_FAIL;
    sb_printf(&c->message, "%s = 0x%lx (%u-bit VA%s): translation map differs from the expected one%s%s\n",
              name, (unsigned long)ttbr, va_bits, disabled ? ", walks disabled by EPD" : "",
              rc ? "; walk failed: " : (w.overflow ? "; too many distinct ranges" : ""), rc ? err : "");
    print_map(&c->message, "actual", got, w.n, x->entry.mair, el2);
    print_map(&c->message, "expected", e->map[idx], e->nmap[idx], MAIR_VALUE, el2);
}

void check_page_tables(const struct emu_ctx *x, struct emu_check *c)
{
    const struct emu_entry_state *s = &x->entry;
    unsigned t0sz = (unsigned)(s->tcr & 0x3f), t1sz = (unsigned)((s->tcr >> 16) & 0x3f);
    if (t0sz < 16 || t0sz > 39 || (s->el != 2 && (t1sz < 16 || t1sz > 39))) {
        c->status = EMU_CHECK_FAIL;
        sb_printf(&c->message, "TCR 0x%lx selects a VA size the walker does not support (T0SZ %u, T1SZ %u)",
                  (unsigned long)s->tcr, t0sz, t1sz);
        return;
    }
    if (s->el == 2) {
        compare_table(x, c, "TTBR0_EL2", s->ttbr0, t0sz, 0, 0, 0);
    } else {
        compare_table(x, c, "TTBR0_EL1", s->ttbr0, t0sz, 0, (s->tcr & TCR_EPD0) != 0, 0);
        compare_table(x, c, "TTBR1_EL1", s->ttbr1, t1sz, 1, (s->tcr & TCR_EPD1) != 0, 1);
    }
    if (c->status == EMU_CHECK_PASS)
        sb_printf(&c->message, "%u mapped ranges, exactly the expected map",
                  x->exp->nmap[0] + x->exp->nmap[1]);
}
