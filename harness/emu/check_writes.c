/* Check 4, writes: every store the loader made lies in memory it may write:
 * the images it places, the DTB copy, its own .data/.bss/stack/page tables/
 * scratch (from its symbols), QEMU's DTB when it packs it in place, and the
 * UART. A store anywhere else is named with the loader code that made it. */
#include "checks.h"

#define MAX_REPORTED 5

static const struct emu_region *region_of(const struct emu_expected *e, uint64_t addr, uint32_t size)
{
    for (unsigned i = 0; i < e->nallowed; i++)
        if (addr >= e->allowed[i].start && addr + size <= e->allowed[i].end)
            return &e->allowed[i];
    return NULL;
}

void check_writes(const struct emu_ctx *x, struct emu_check *c)
{
    const struct emu_run *r = x->run;
    size_t bad = 0;
    /* A record coalescing several stores lies inside one allowed region (the
     * run's coalesce regions are this map), so each of its stores does too. */
    for (size_t i = 0; i < r->nstores; i++) {
        const struct emu_store *s = &r->stores[i];
        if (region_of(x->exp, s->addr, s->size) != NULL)
            continue;
        if (bad++ < MAX_REPORTED) {
            char sym[128];
            sb_printf(&c->message,
                      "%u-byte store at 0x%lx from PC 0x%lx (%s) is outside the allowed-write map\n",
                      s->size, (unsigned long)s->addr, (unsigned long)s->pc,
                      emu_symbolize(&x->img->syms, s->pc, sym, sizeof sym));
        }
    }
    if (bad == 0) {
        sb_printf(&c->message, "all %lu recorded stores inside the allowed-write map",
                  (unsigned long)r->store_count);
        return;
    }
    c->status = EMU_CHECK_FAIL;
    if (bad > MAX_REPORTED)
        sb_printf(&c->message, "... %lu stray stores in all\n", (unsigned long)bad);
    sb_printf(&c->message, "allowed-write map:\n");
    for (unsigned i = 0; i < x->exp->nallowed; i++)
        sb_printf(&c->message, "  [0x%010lx..0x%010lx) %s\n", (unsigned long)x->exp->allowed[i].start,
                  (unsigned long)x->exp->allowed[i].end, x->exp->allowed[i].name);
}
