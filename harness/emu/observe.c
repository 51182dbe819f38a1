#include "observe.h"

#include <libfdt.h>
#include <string.h>

#include "../../loader/common/pagetable.h"
#include "../../loader/common/ptwalk.h"
#include "../../loader/common/qemu_virt.h"
#include "json.h"

#define MAX_LISTED 8
#define MAX_TABLE_PAGES 64
#define MAX_OTHER_RANGES 24
#define PAGE PT_PAGE_SIZE

static uint64_t round_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
static uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static void key(FILE *f, const char *k)
{
    json_cstr(f, k);
    fputs(": ", f);
}

static void sym_field(FILE *f, const char *k, const struct emu_symbols *t, uint64_t va)
{
    char buf[160];
    fputs(", ", f);
    key(f, k);
    json_cstr(f, emu_symbolize_data(t, va, buf, sizeof buf));
}

/* One ELF's segments as they lie in RAM at paddr = (by_vaddr ? vaddr : paddr)
 * + delta: how many file bytes differ and how many .bss bytes are not zero,
 * each with its first address named by the ELF's own symbols. */
static void json_segments(FILE *f, struct emu_machine *m, const struct emu_payload_elf *pe,
                          int by_vaddr, uint64_t delta, uint64_t skip_lo, uint64_t skip_hi)
{
    fputs("[", f);
    for (unsigned i = 0; i < pe->elf.nload; i++) {
        struct elf_segment s;
        elf_segment_get(&pe->elf, i, &s);
        uint64_t pa = (by_vaddr ? s.vaddr : s.paddr) + delta;
        fputs(i ? ", {" : "{", f);
        json_key_u64(f, "index", i);
        fputs(", ", f); json_key_u64(f, "paddr", pa);
        fputs(", ", f); json_key_u64(f, "vaddr", s.vaddr);
        fputs(", ", f); json_key_u64(f, "filesz", s.filesz);
        fputs(", ", f); json_key_u64(f, "memsz", s.memsz);
        const uint8_t *mem = emu_ram_at(m, pa, s.memsz);
        fprintf(f, ", \"in_ram\": %s", mem ? "true" : "false");
        if (mem != NULL) {
            const uint8_t *file = pe->elf.data + s.offset;
            uint64_t ndiff = 0, first = 0, nz = 0, firstnz = 0;
            /* [skip_lo, skip_hi) is judged by a rule of its own (rootserver). */
            for (uint64_t k = 0; k < s.filesz; k++)
                if (mem[k] != file[k] && !(pa + k >= skip_lo && pa + k < skip_hi) && ndiff++ == 0)
                    first = k;
            for (uint64_t k = s.filesz; k < s.memsz; k++)
                if (mem[k] != 0 && !(pa + k >= skip_lo && pa + k < skip_hi) && nz++ == 0)
                    firstnz = k;
            fputs(", ", f); json_key_u64(f, "differ", ndiff);
            if (ndiff) {
                fputs(", ", f); json_key_u64(f, "first_diff_paddr", pa + first);
                fputs(", ", f); json_key_u64(f, "first_diff_got", mem[first]);
                fputs(", ", f); json_key_u64(f, "first_diff_want", file[first]);
                sym_field(f, "first_diff_symbol", &pe->syms, s.vaddr + first);
            }
            fputs(", ", f); json_key_u64(f, "bss_nonzero", nz);
            if (nz) {
                fputs(", ", f); json_key_u64(f, "first_nonzero_paddr", pa + firstnz);
                fputs(", ", f); json_key_u64(f, "first_nonzero_value", mem[firstnz]);
                sym_field(f, "first_nonzero_symbol", &pe->syms, s.vaddr + firstnz);
            }
        }
        fputs("}", f);
    }
    fputs("]", f);
}

/* The kernel ELF's byte at physical pa (0 in .bss), or -1 outside its image. */
static int kernel_byte(const struct elf_image *k, uint64_t pa)
{
    int inside = 0;
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        if (pa >= s.paddr && pa < s.paddr + s.memsz) {
            if (pa < s.paddr + s.filesz)
                return k->data[s.offset + (pa - s.paddr)];
            inside = 1;
        }
    }
    return inside ? 0 : -1;
}

static uint64_t kernel_va_of(const struct elf_image *k, uint64_t pa)
{
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        if (pa >= s.paddr && pa < s.paddr + s.memsz)
            return pa - s.paddr + s.vaddr;
    }
    return pa;
}

/* Whether this store is why a byte of the kernel image differs from the ELF
 * at the entry: it wrote a wrong value and that value is still there. A
 * loader may clear or stage memory first; only what stays counts. */
static int store_changes_kernel(struct emu_machine *m, const struct elf_image *k,
                                const struct emu_store *st)
{
    for (uint64_t a = st->addr; a < st->addr + st->size; a++) {
        int want = kernel_byte(k, a);
        unsigned got = st->size <= 8 ? (unsigned)((st->value >> (8 * (a - st->addr))) & 0xff) : 0;
        const uint8_t *now = emu_ram_at(m, a, 1);
        if (want >= 0 && (int)got != want && now != NULL && *now == got)
            return 1;
    }
    return 0;
}

static int in_range(uint64_t a, uint64_t size, uint64_t lo, uint64_t hi)
{
    return a < hi && a + size > lo;
}

static int in_loader_image(const struct emu_image *img, uint64_t a, uint64_t size)
{
    for (unsigned i = 0; i < img->elf.nload; i++) {
        struct elf_segment s;
        elf_segment_get(&img->elf, i, &s);
        if (in_range(a, size, s.paddr, s.paddr + s.memsz))
            return 1;
    }
    return 0;
}

/* A store's size, value and the loader code that made it (JSON fields). */
static void json_store_fields(FILE *f, const struct emu_ctx *x, const struct emu_store *st)
{
    char pcs[128];
    fputs(", ", f); json_key_u64(f, "size", st->size);
    fputs(", ", f); json_key_u64(f, "value", st->value);
    fputs(", ", f); json_key_u64(f, "pc", st->pc);
    fputs(", \"pc_symbol\": ", f);
    json_cstr(f, emu_symbolize(&x->img->syms, st->pc, pcs, sizeof pcs));
}

/* Stores outside every image, coalesced into ranges a page apart at most:
 * where the loader wrote scratch (stacks, tables, heaps) or strayed. The
 * memory map draws them; past MAX_OTHER_RANGES they are only counted. */
struct store_range {
    uint64_t start, end, count;
    const struct emu_store *first;
};

struct store_ranges {
    struct store_range r[MAX_OTHER_RANGES];
    unsigned n;
    uint64_t unlisted;
};

static void add_store_range(struct store_ranges *rs, const struct emu_store *st)
{
    for (unsigned i = 0; i < rs->n; i++) {
        struct store_range *r = &rs->r[i];
        if (st->addr + st->size + PAGE >= r->start && st->addr <= r->end + PAGE) {
            r->start = st->addr < r->start ? st->addr : r->start;
            r->end = st->addr + st->size > r->end ? st->addr + st->size : r->end;
            r->count++;
            return;
        }
    }
    if (rs->n == MAX_OTHER_RANGES) {
        rs->unlisted++;
        return;
    }
    rs->r[rs->n++] = (struct store_range){ st->addr, st->addr + st->size, 1, st };
}

static void json_store_ranges(FILE *f, const struct emu_ctx *x, const struct store_ranges *rs)
{
    key(f, "other_store_ranges");
    fputs("[", f);
    for (unsigned i = 0; i < rs->n; i++) {
        char pcs[128];
        fputs(i ? ", {" : "{", f);
        json_key_u64(f, "start", rs->r[i].start);
        fputs(", ", f); json_key_u64(f, "end", rs->r[i].end);
        fputs(", ", f); json_key_u64(f, "count", rs->r[i].count);
        fputs(", ", f); json_key_u64(f, "pc", rs->r[i].first->pc);
        fputs(", \"pc_symbol\": ", f);
        json_cstr(f, emu_symbolize(&x->img->syms, rs->r[i].first->pc, pcs, sizeof pcs));
        fputs("}", f);
    }
    fputs("], ", f);
    json_key_u64(f, "other_stores_unlisted", rs->unlisted);
}

/* Every store, by where it landed; the ones that changed kernel bytes are
 * listed with the kernel symbol they hit and the loader code that made them. */
static void json_stores(FILE *f, const struct emu_ctx *x)
{
    const struct elf_image *k = &x->img->kernel.elf;
    const uint64_t *r = x->entry.x;
    uint64_t dtb_size = r[5] & 0xffffffffu;
    uint64_t n_kernel = 0, n_user = 0, n_dtb = 0, n_loader = 0, n_uart = 0, n_other = 0, n_bad = 0;
    struct store_ranges other;
    memset(&other, 0, sizeof other);
    key(f, "kernel_stores");
    fputs("[", f);
    for (size_t i = 0; i < x->run->nstores; i++) {
        const struct emu_store *st = &x->run->stores[i];
        if (in_range(st->addr, st->size, k->paddr_min, k->paddr_max)) {
            n_kernel++;
            if (store_changes_kernel(x->m, k, st) && n_bad++ < MAX_LISTED) {
                char ks[160];
                fputs(n_bad > 1 ? ", {" : "{", f);
                json_key_u64(f, "paddr", st->addr);
                json_store_fields(f, x, st);
                fputs(", \"kernel_symbol\": ", f);
                json_cstr(f, emu_symbolize_data(&x->img->kernel.syms, kernel_va_of(k, st->addr), ks,
                                                sizeof ks));
                fputs("}", f);
            }
        } else if (in_range(st->addr, st->size, r[0], r[1])) {
            n_user++;
        } else if (dtb_size && in_range(st->addr, st->size, r[4], r[4] + dtb_size)) {
            n_dtb++;
        } else if (in_loader_image(x->img, st->addr, st->size)) {
            n_loader++;
        } else if (in_range(st->addr, st->size, VIRT_UART_BASE, VIRT_UART_BASE + VIRT_UART_SIZE)) {
            n_uart++;
        } else {
            n_other++;
            add_store_range(&other, st);
        }
    }
    fputs("], ", f);
    json_key_u64(f, "kernel_stores_changing", n_bad);
    fputs(", \"store_classes\": {", f);
    json_key_u64(f, "kernel_image", n_kernel);
    fputs(", ", f); json_key_u64(f, "user_image", n_user);
    fputs(", ", f); json_key_u64(f, "dtb", n_dtb);
    fputs(", ", f); json_key_u64(f, "loader_image", n_loader);
    fputs(", ", f); json_key_u64(f, "uart", n_uart);
    fputs(", ", f); json_key_u64(f, "other_ram", n_other);
    fputs("}, ", f);
    json_store_ranges(f, x, &other);
}

/* Physical range of the kernel's `rootserver`; 0 if it has none. */
static int rootserver_range(const struct emu_image *img, uint64_t *va, uint64_t *pa, uint64_t *size)
{
    if (emu_symbol_value(&img->kernel.syms, "rootserver", va, size) != 0)
        return 0;
    const struct elf_image *k = &img->kernel.elf;
    *pa = 0;
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        if (*va >= s.vaddr && *va < s.vaddr + s.memsz)
            *pa = *va - s.vaddr + s.paddr;
    }
    *size = *size ? *size : 8;
    return *pa != 0;
}

/* seL4's rootserver at the entry: its bytes, and the stores that changed them. */
static void json_rootserver(FILE *f, const struct emu_ctx *x)
{
    uint64_t va, pa, size;
    key(f, "rootserver");
    if (!rootserver_range(x->img, &va, &pa, &size)) {
        fputs("null", f);
        return;
    }
    const struct elf_image *k = &x->img->kernel.elf;
    const uint8_t *mem = pa ? emu_ram_at(x->m, pa, size) : NULL;
    fputs("{", f);
    json_key_u64(f, "vaddr", va);
    fputs(", ", f); json_key_u64(f, "paddr", pa);
    fputs(", ", f); json_key_u64(f, "size", size);
    fputs(", \"bytes\": [", f);
    for (uint64_t i = 0; mem != NULL && i < size; i++)
        fprintf(f, "%s%u", i ? ", " : "", mem[i]);
    fputs("], \"stores\": [", f);
    unsigned listed = 0;
    for (size_t i = 0; pa && i < x->run->nstores && listed < MAX_LISTED; i++) {
        const struct emu_store *st = &x->run->stores[i];
        if (!in_range(st->addr, st->size, pa, pa + size) || !store_changes_kernel(x->m, k, st))
            continue;
        fputs(listed++ ? ", {" : "{", f);
        json_key_u64(f, "offset", st->addr > pa ? st->addr - pa : 0);
        json_store_fields(f, x, st);
        fputs("}", f);
    }
    fputs("]}", f);
}

static void json_dtb(FILE *f, const struct emu_ctx *x)
{
    uint64_t addr = x->entry.x[4], size = x->entry.x[5] & 0xffffffffu;
    key(f, "dtb");
    fputs("{", f);
    json_key_u64(f, "addr", addr);
    fputs(", ", f); json_key_u64(f, "size", size);
    const uint8_t *p = addr ? emu_ram_at(x->m, addr, size > 40 ? size : 40) : NULL;
    fprintf(f, ", \"in_ram\": %s", p ? "true" : "false");
    if (p != NULL) {
        fputs(", ", f); json_key_u64(f, "magic", fdt_magic(p));
        fputs(", ", f); json_key_u64(f, "totalsize", fdt_totalsize(p));
        fprintf(f, ", \"header_ok\": %s", fdt_check_header(p) == 0 ? "true" : "false");
    }
    fputs("}", f);
}

struct window_walk {
    struct emu_machine *m;
    uint64_t lo, hi;               /* the kernel image's VA range */
    uint64_t entry_va;
    uint64_t covered, ranges;
    int entry_found;
    struct ptwalk_leaf entry_leaf;
    int mixed;                     /* leaves over the image differ in attributes */
    struct ptwalk_attrs first;
    uint64_t table_pages[MAX_TABLE_PAGES];  /* every table page the walk read, for the memory map */
    unsigned ntable_pages;
};

static int read_desc(void *ctx, uint64_t pa, uint64_t *desc)
{
    struct window_walk *w = ctx;
    uint64_t page = round_down(pa, PAGE);
    unsigned i = 0;
    while (i < w->ntable_pages && w->table_pages[i] != page)
        i++;
    if (i == w->ntable_pages && i < MAX_TABLE_PAGES)
        w->table_pages[w->ntable_pages++] = page;
    return emu_ram_read64(w->m, pa, desc);
}

static int visit_leaf(void *ctx, const struct ptwalk_leaf *leaf)
{
    struct window_walk *w = ctx;
    uint64_t end = leaf->va + leaf->size;
    if (end <= w->lo || leaf->va >= w->hi)
        return 0;
    uint64_t a = leaf->va > w->lo ? leaf->va : w->lo, b = end < w->hi ? end : w->hi;
    w->covered += b - a;
    struct ptwalk_attrs at;
    ptwalk_decode(leaf->desc, &at);
    if (w->ranges++ == 0)
        w->first = at;
    else if (memcmp(&at, &w->first, sizeof at) != 0)
        w->mixed = 1;
    if (w->entry_va >= leaf->va && w->entry_va < end) {
        w->entry_found = 1;
        w->entry_leaf = *leaf;
    }
    return 0;
}

/* How the tables the kernel is entered with map its image: memory type and
 * executability at the entry, and whether the whole image is covered. */
static void json_kernel_window(FILE *f, const struct emu_ctx *x)
{
    const struct elf_image *k = &x->img->kernel.elf;
    const struct emu_entry_state *e = &x->entry;
    int el2 = e->el == 2;
    unsigned txsz = el2 ? (unsigned)(e->tcr & 0x3f) : (unsigned)((e->tcr >> 16) & 0x3f);
    unsigned va_bits = ptwalk_va_bits(txsz ? txsz : 16);
    int upper = k->entry >= (UINT64_C(1) << 63);
    uint64_t root = (upper ? e->ttbr1 : e->ttbr0) & PTE_ADDR_MASK & ~UINT64_C(1);
    uint64_t va_base = upper ? (va_bits >= 64 ? 0 : ~UINT64_C(0) << va_bits) : 0;
    struct window_walk w = { .m = x->m, .lo = round_down(k->vaddr_min, PAGE),
                             .hi = round_up(k->vaddr_max, PAGE), .entry_va = k->entry };
    key(f, "kernel_window");
    fprintf(f, "{\"table\": \"%s\", \"mmu_on\": %s", el2 ? "TTBR0_EL2" : upper ? "TTBR1_EL1" : "TTBR0_EL1",
            (e->sctlr & 1) ? "true" : "false");
    fputs(", ", f); json_key_u64(f, "root", root);
    fputs(", ", f); json_key_u64(f, "image_va_start", w.lo);
    fputs(", ", f); json_key_u64(f, "image_va_end", w.hi);
    char err[PTWALK_ERR_LEN] = "";
    if (!(e->sctlr & 1) || ptwalk(root, va_base, va_bits, read_desc, &w, visit_leaf, &w, err) != 0) {
        fputs(", \"walk_error\": ", f);
        json_cstr(f, (e->sctlr & 1) ? err : "MMU off");
        fputs("}", f);
        return;
    }
    fputs(", ", f); key(f, "table_pages");
    fputs("[", f);
    for (unsigned i = 0; i < w.ntable_pages; i++) {
        fputs(i ? ", " : "", f);
        fprintf(f, "%llu", (unsigned long long)w.table_pages[i]);
    }
    fputs("]", f);
    fputs(", ", f); json_key_u64(f, "covered", w.covered);
    fprintf(f, ", \"uniform\": %s, \"entry_mapped\": %s", w.mixed ? "false" : "true",
            w.entry_found ? "true" : "false");
    if (w.entry_found) {
        struct ptwalk_attrs at;
        ptwalk_decode(w.entry_leaf.desc, &at);
        char buf[16];
        uint64_t entry_pa = w.entry_leaf.pa + (k->entry - w.entry_leaf.va);
        fputs(", ", f); json_key_u64(f, "entry_pa", entry_pa);
        fputs(", ", f); json_key_u64(f, "attrindx", at.attrindx);
        fputs(", ", f); json_key_u64(f, "mair_attr", (e->mair >> (8 * at.attrindx)) & 0xff);
        fputs(", \"memory_type\": ", f);
        json_cstr(f, ptwalk_mair_type(e->mair, at.attrindx, buf));
        /* PXN governs EL1 execution; in the single-range EL2 regime bit 54 is XN. */
        int exec = el2 ? !at.uxn : !at.pxn;
        fprintf(f, ", \"executable\": %s", exec ? "true" : "false");
        fputs(", ", f); json_key_u64(f, "ap", at.ap);
        fputs(", ", f); json_key_u64(f, "af", at.af);
    }
    fputs("}", f);
}

/* An entry state's registers as JSON fields (no leading separator). */
static void json_entry_registers(FILE *f, const struct emu_entry_state *e)
{
    json_key_u64(f, "el", e->el);
    fputs(", ", f); json_key_u64(f, "pstate", e->pstate);
    fputs(", \"x\": [", f);
    for (int i = 0; i < 6; i++)
        fprintf(f, "%s%lu", i ? ", " : "", (unsigned long)e->x[i]);
    fputs("], ", f);
    json_key_u64(f, "sctlr", e->sctlr);
    fputs(", ", f); json_key_u64(f, "tcr", e->tcr);
    fputs(", ", f); json_key_u64(f, "mair", e->mair);
    fputs(", ", f); json_key_u64(f, "ttbr0", e->ttbr0);
    fputs(", ", f); json_key_u64(f, "ttbr1", e->ttbr1);
    fputs(", ", f); json_key_u64(f, "tpidr_el1", e->tpidr_el1);
}

static const char *core_state_name(enum emu_core_state s)
{
    switch (s) {
    case EMU_CORE_PARKED: return "parked";
    case EMU_CORE_ENTERED: return "entered";
    case EMU_CORE_STUCK: return "stuck";
    case EMU_CORE_FAILED: return "failed";
    }
    return "?";
}

/* Every core the loader started with PSCI CPU_ON, and its state at its own
 * kernel entry. */
static void json_cores(FILE *f, const struct emu_run *r, const struct emu_symbols *syms)
{
    key(f, "cores");
    fputs("[", f);
    for (unsigned i = 0; i < r->ncores; i++) {
        const struct emu_core *c = &r->cores[i];
        char sym[128];
        fputs(i ? ", {" : "{", f);
        json_key_u64(f, "target", c->target);
        fputs(", ", f); json_key_u64(f, "entry", c->entry);
        fputs(", ", f); json_key_u64(f, "context", c->context);
        fprintf(f, ", \"state\": \"%s\", ", core_state_name(c->state));
        json_key_u64(f, "instructions", c->instructions);
        fputs(", ", f); json_key_u64(f, "last_pc", c->last_pc);
        fputs(", \"last_pc_symbol\": ", f);
        json_cstr(f, emu_symbolize(syms, c->last_pc, sym, sizeof sym));
        if (c->state == EMU_CORE_ENTERED) {
            fputs(", ", f);
            json_entry_registers(f, &c->at_entry);
        }
        fputs("}", f);
    }
    fputs("], ", f);
    json_key_u64(f, "cpu_on_refused", r->cpu_on_refused);
}

void emu_observe_json(FILE *f, const struct emu_ctx *x)
{
    const struct emu_image *img = x->img;
    fputs("  \"observations\": {", f);
    key(f, "payload_format");
    json_cstr(f, emu_payload_format_name(img->format));
    fputs(", \"roottask_member\": ", f);
    json_cstr(f, img->roottask_member);
    fputs(", \"payload_problem\": ", f);
    json_cstr(f, img->payload_problem);
    fprintf(f, ", \"reached_kernel\": %s", x->run->outcome == EMU_REACHED_KERNEL ? "true" : "false");
    fputs(", ", f);
    json_key_u64(f, "boot_tpidr_el1", x->entry.tpidr_el1);
    fputs(", ", f);
    json_cores(f, x->run, &img->syms);
    if (!img->kernel.present || !img->roottask.present || x->run->outcome != EMU_REACHED_KERNEL) {
        fputs("}", f);
        return;
    }
    const struct emu_entry_state *e = &x->entry;
    fputs(", ", f); json_key_u64(f, "entry_pc", x->run->kernel_entry);
    fputs(", ", f); json_key_u64(f, "kernel_entry_va", img->kernel.elf.entry);
    fputs(", ", f);
    json_entry_registers(f, e);
    fputs(",\n    ", f);
    uint64_t rs_va, rs_pa = 0, rs_size = 0;
    if (!rootserver_range(img, &rs_va, &rs_pa, &rs_size))
        rs_pa = rs_size = 0;
    key(f, "kernel_segments");
    json_segments(f, x->m, &img->kernel, 0, 0, rs_pa, rs_pa + rs_size);
    /* The root task where x0 says it is: vaddr + (x0 - vmin), vmin page-rounded. */
    uint64_t vmin = round_down(img->roottask.elf.vaddr_min, PAGE);
    fputs(",\n    ", f);
    json_key_u64(f, "user_vmin", vmin);
    fputs(", ", f); json_key_u64(f, "user_vend", round_up(img->roottask.elf.vaddr_max, PAGE));
    fputs(", ", f); json_key_u64(f, "user_entry", img->roottask.elf.entry);
    fputs(", ", f);
    key(f, "user_segments");
    json_segments(f, x->m, &img->roottask, 1, e->x[0] - vmin, 0, 0);
    fputs(",\n    ", f);
    json_dtb(f, x);
    fputs(",\n    ", f);
    json_rootserver(f, x);
    fputs(",\n    ", f);
    json_stores(f, x);
    fputs(",\n    ", f);
    json_kernel_window(f, x);
    fputs("}", f);
}
