/* The hand-off judged against seL4's RISC-V contract (src/arch/riscv/head.S
 * and kernel/boot.c take a0..a5 as: user image physical start, end, the
 * physical - virtual offset, the user entry, the DTB's physical address and
 * size; S-mode, satp Sv39 with the kernel window mapped). Every rule is read
 * from the kernel and root task ELF files and the registers, never from a
 * placement plan, so any loader that honours the contract passes. */
#include "rv.h"

#include <string.h>

#include "../../../../loader/common/sv39walk.h"
#include "../../json.h"

#define PAGE UINT64_C(0x1000)
#define FDT_MAGIC 0xd00dfeedu
#define MAX_LISTED 5

enum { C_ENTRY, C_KERNEL, C_USER, C_DTB, C_TABLES, C_WRITES, C_ROOTSERVER, C_HARTS };
static const char *const names[RV_NCHECKS] = {
    "entry", "kernel_image", "user_image", "dtb", "page_tables", "writes", "rootserver", "harts",
};

static uint64_t kernel_pv(const struct emu_image *img)
{
    struct elf_segment s;
    elf_segment_get(&img->kernel.elf, 0, &s);
    return s.vaddr - s.paddr;
}

/* A store's physical address: memory hooks see virtual ones, and only the
 * kernel window is not identity-mapped while a loader runs. */
static uint64_t store_pa(const struct rv_ctx *x, uint64_t addr)
{
    return addr >= (UINT64_C(1) << 63) ? addr - kernel_pv(x->img) : addr;
}

static int read_pte(void *ctx, uint64_t pa, uint64_t *pte)
{
    return emu_ram_read64(ctx, pa, pte);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* Compares guest RAM at pa with an ELF segment's bytes and zero fill. */
/* [skip_lo, skip_hi) is judged by a rule of its own (rootserver): on RISC-V
 * seL4's rootserver lies in .boot.bss, which the ELF stores as file bytes. */
static int segment_differs_except(struct emu_machine *m, const struct elf_image *e, const struct elf_segment *s,
                                  uint64_t pa, uint64_t skip_lo, uint64_t skip_hi, uint64_t *bad_off,
                                  int *bad_byte)
{
    const uint8_t *ram = emu_ram_at(m, pa, s->memsz);
    if (ram == NULL) {
        *bad_off = 0;
        *bad_byte = -1;
        return 1;
    }
    const uint8_t *file = e->data + s->offset;
    for (uint64_t i = 0; i < s->memsz; i++) {
        uint8_t want = i < s->filesz ? file[i] : 0;
        if (ram[i] != want && !(pa + i >= skip_lo && pa + i < skip_hi)) {
            *bad_off = i;
            *bad_byte = ram[i];
            return 1;
        }
    }
    return 0;
}

static int segment_differs(struct emu_machine *m, const struct elf_image *e, const struct elf_segment *s,
                           uint64_t pa, uint64_t *bad_off, int *bad_byte)
{
    return segment_differs_except(m, e, s, pa, 0, 0, bad_off, bad_byte);
}

static void check_entry(const struct rv_ctx *x, struct rv_check *c)
{
    const struct rv_entry_state *e = x->e;
    uint64_t entry = x->img->kernel.elf.entry;
    unsigned mode = (unsigned)(e->satp >> SATP_MODE_SHIFT);
    if (e->pc != entry || mode != SATP_MODE_SV39) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "the kernel was entered at 0x%lx with satp mode %s; seL4's RISC-V head.S runs at"
                  " its virtual entry 0x%lx with Sv39 already on", (unsigned long)e->pc,
                  satp_mode_name(e->satp), (unsigned long)entry);
        return;
    }
    sb_printf(&c->msg, "S-mode at the kernel's virtual entry 0x%lx, satp 0x%lx (Sv39), sp 0x%lx,"
              " %lu instructions", (unsigned long)entry, (unsigned long)e->satp, (unsigned long)e->sp,
              (unsigned long)x->run->harts[x->run->boot_hart].instructions);
}

static void check_kernel(const struct rv_ctx *x, struct rv_check *c)
{
    const struct elf_image *k = &x->img->kernel.elf;
    uint64_t rs_va, rs_size, rs_lo = 0, rs_hi = 0;
    if (emu_symbol_value(&x->img->kernel.syms, "rootserver", &rs_va, &rs_size) == 0 && rs_size != 0) {
        rs_lo = rs_va - kernel_pv(x->img);
        rs_hi = rs_lo + rs_size;
    }
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        uint64_t off;
        int byte;
        if (segment_differs_except(x->m, k, &s, s.paddr, rs_lo, rs_hi, &off, &byte)) {
            c->status = RV_FAIL;
            sb_printf(&c->msg, "kernel segment %u (paddr 0x%lx, %s) differs first at paddr 0x%lx: 0x%02x,"
                      " the ELF has 0x%02x", i, (unsigned long)s.paddr, off >= s.filesz ? ".bss" : "file bytes",
                      (unsigned long)(s.paddr + off), byte & 0xff,
                      off < s.filesz ? k->data[s.offset + off] : 0);
            return;
        }
    }
    sb_printf(&c->msg, "kernel byte-exact at paddr [0x%lx..0x%lx), .bss zero", (unsigned long)k->paddr_min,
              (unsigned long)k->paddr_max);
}

static void check_user(const struct rv_ctx *x, struct rv_check *c)
{
    const uint64_t *a = x->e->a;
    const struct elf_image *u = &x->img->roottask.elf;
    uint64_t vstart = a[0] - a[2], vend = a[1] - a[2];
    if (a[0] & (PAGE - 1)) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "a0 (user image physical start) 0x%lx is not page-aligned", (unsigned long)a[0]);
        return;
    }
    if (a[1] <= a[0]) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "a1 (user image end) 0x%lx is not above a0 0x%lx", (unsigned long)a[1],
                  (unsigned long)a[0]);
        return;
    }
    if (a[3] != u->entry) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "a3 0x%lx is not the root task's entry 0x%lx", (unsigned long)a[3],
                  (unsigned long)u->entry);
        return;
    }
    for (unsigned i = 0; i < u->nload; i++) {
        struct elf_segment s;
        elf_segment_get(u, i, &s);
        if (s.vaddr < vstart || s.vaddr + s.memsz > vend) {
            c->status = RV_FAIL;
            sb_printf(&c->msg, "root task segment %u [0x%lx..0x%lx) lies outside the user image's virtual"
                      " range [a0 - a2, a1 - a2) = [0x%lx..0x%lx)", i, (unsigned long)s.vaddr,
                      (unsigned long)(s.vaddr + s.memsz), (unsigned long)vstart, (unsigned long)vend);
            return;
        }
        uint64_t off;
        int byte;
        if (segment_differs(x->m, u, &s, s.vaddr + a[2], &off, &byte)) {
            c->status = RV_FAIL;
            sb_printf(&c->msg, "root task segment %u (vaddr 0x%lx, at paddr vaddr + a2 = 0x%lx) differs first"
                      " at vaddr 0x%lx (%s): 0x%02x, the ELF has 0x%02x", i, (unsigned long)s.vaddr,
                      (unsigned long)(s.vaddr + a[2]), (unsigned long)(s.vaddr + off),
                      off >= s.filesz ? ".bss not zeroed" : "file bytes", byte & 0xff,
                      off < s.filesz ? u->data[s.offset + off] : 0);
            return;
        }
    }
    const struct elf_image *k = &x->img->kernel.elf;
    if (a[0] < k->paddr_max && k->paddr_min < a[1]) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "user image [0x%lx..0x%lx) overlaps the kernel image [0x%lx..0x%lx)",
                  (unsigned long)a[0], (unsigned long)a[1], (unsigned long)k->paddr_min,
                  (unsigned long)k->paddr_max);
        return;
    }
    sb_printf(&c->msg, "root task byte-exact at paddr [0x%lx..0x%lx) = vaddr + pv offset 0x%lx, .bss zero,"
              " a3 = entry 0x%lx", (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2],
              (unsigned long)a[3]);
}

static void check_dtb(const struct rv_ctx *x, struct rv_check *c)
{
    const uint64_t *a = x->e->a;
    if (a[4] == 0) {
        sb_printf(&c->msg, "no DTB handed over (a4 = 0, a5 = 0x%lx): seL4 boots from its built-in"
                  " platform description", (unsigned long)a[5]);
        return;
    }
    const uint8_t *h = emu_ram_at(x->m, a[4], 8);
    if (h == NULL || be32(h) != FDT_MAGIC) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "a4 0x%lx does not point at a DTB in RAM (no d00dfeed magic)", (unsigned long)a[4]);
        return;
    }
    uint64_t total = be32(h + 4);
    if (a[5] < total || emu_ram_at(x->m, a[4], a[5]) == NULL) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "a5 (DTB size) 0x%lx is less than the DTB's totalsize 0x%lx or runs out of RAM",
                  (unsigned long)a[5], (unsigned long)total);
        return;
    }
    const struct elf_image *k = &x->img->kernel.elf;
    uint64_t end = a[4] + a[5];
    if (a[4] < a[1] && a[0] < end) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "DTB [0x%lx..0x%lx) overlaps the user image [0x%lx..0x%lx)", (unsigned long)a[4],
                  (unsigned long)end, (unsigned long)a[0], (unsigned long)a[1]);
        return;
    }
    if (a[4] < k->paddr_max && k->paddr_min < end) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "DTB [0x%lx..0x%lx) overlaps the kernel image [0x%lx..0x%lx)", (unsigned long)a[4],
                  (unsigned long)end, (unsigned long)k->paddr_min, (unsigned long)k->paddr_max);
        return;
    }
    const uint8_t *in = emu_ram_at(x->m, x->dtb_in, 8);
    sb_printf(&c->msg, "DTB at paddr 0x%lx, a5 0x%lx (totalsize 0x%lx)%s", (unsigned long)a[4],
              (unsigned long)a[5], (unsigned long)total,
              a[4] == x->dtb_in ? ", OpenSBI's own copy" : in != NULL ? ", a copy of OpenSBI's" : "");
}

/* The entry as the loader left it. The hart's page walker (QEMU's, here as
 * on a real hart that does so) sets A, and D on a write, in the entry it
 * uses, so RAM at the end shows the kernel's first fetch, not the loader's
 * work: take the loader's last store to it, else the loader image's bytes
 * there (tables prebuilt in the image), else RAM. */
static uint64_t loader_pte(const struct rv_ctx *x, uint64_t pte_pa, uint64_t in_ram)
{
    for (size_t i = x->run->nstores; i-- > 0;) {
        const struct rv_store *s = &x->run->stores[i];
        uint64_t pa = store_pa(x, s->addr);
        if (s->size == 8 && pa == pte_pa)
            return s->value;
        if (s->size != 8 && pa <= pte_pa && pte_pa < pa + s->size)
            return s->size > 8 ? 0 : in_ram;   /* a merged run of zero stores, or a partial one */
    }
    const struct elf_image *e = &x->img->elf;
    for (unsigned i = 0; i < e->nload; i++) {
        struct elf_segment s;
        elf_segment_get(e, i, &s);
        if (pte_pa >= s.paddr && pte_pa + 8 <= s.paddr + s.filesz) {
            uint64_t v = 0;
            for (int b = 7; b >= 0; b--)
                v = v << 8 | e->data[s.offset + (pte_pa - s.paddr) + (uint64_t)b];
            return v;
        }
    }
    return in_ram;
}

#define WANT_LEAF (SV39_PTE_V | SV39_PTE_R | SV39_PTE_W | SV39_PTE_X | SV39_PTE_A | SV39_PTE_D)

static void check_tables(const struct rv_ctx *x, struct rv_check *c)
{
    uint64_t satp = x->e->satp;
    if ((satp >> SATP_MODE_SHIFT) != SATP_MODE_SV39) {
        c->status = RV_FAIL;
        sb_printf(&c->msg, "satp 0x%lx: mode %s, seL4 (Sv39 build) needs Sv39 (8)", (unsigned long)satp,
                  satp_mode_name(satp));
        return;
    }
    uint64_t root = (satp & SATP_PPN_MASK) << 12;
    const struct elf_image *k = &x->img->kernel.elf;
    uint64_t pv = kernel_pv(x->img), pages = 0, global = 0, first_page = 0, last_page = 0;
    char err[SV39_ERR_LEN], fl[9];
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        for (uint64_t va = s.vaddr & ~(PAGE - 1); va < s.vaddr + s.memsz; va += PAGE) {
            struct sv39_leaf leaf;
            int r = sv39_translate(root, va, read_pte, x->m, &leaf, err);
            if (r != 0) {
                c->status = RV_FAIL;
                sb_printf(&c->msg, "kernel window: %s", err);
                return;
            }
            if (leaf.pa != va - pv) {
                c->status = RV_FAIL;
                sb_printf(&c->msg, "kernel window: VA 0x%lx maps PA 0x%lx, the kernel is linked at PA 0x%lx"
                          " (level-%u entry at 0x%lx)", (unsigned long)va, (unsigned long)leaf.pa,
                          (unsigned long)(va - pv), leaf.level, (unsigned long)leaf.pte_pa);
                return;
            }
            leaf.pte = loader_pte(x, leaf.pte_pa, leaf.pte);
            if ((leaf.pte & WANT_LEAF) != WANT_LEAF || (leaf.pte & SV39_PTE_U)) {
                c->status = RV_FAIL;
                sb_printf(&c->msg, "kernel window: VA 0x%lx is mapped %s by the level-%u entry 0x%lx at PA"
                          " 0x%lx; the kernel needs V R W X A D and not U (without A/D a hart that does not"
                          " set them faults)", (unsigned long)va, sv39_flags(leaf.pte, fl), leaf.level,
                          (unsigned long)leaf.pte, (unsigned long)leaf.pte_pa);
                return;
            }
            if (pages == 0)
                first_page = leaf.page_size;
            last_page = leaf.page_size;
            pages++;
            global += (leaf.pte & SV39_PTE_G) != 0;
        }
    }
    char fl2[9];
    struct sv39_leaf e;
    sv39_translate(root, k->entry, read_pte, x->m, &e, err);
    e.pte = loader_pte(x, e.pte_pa, e.pte);
    sb_printf(&c->msg, "Sv39 root 0x%lx: kernel window [0x%lx..0x%lx) -> PA 0x%lx, %lu pages walked, leaves"
              " %s (%lu KiB pages first, %lu KiB last), %s", (unsigned long)root, (unsigned long)k->vaddr_min,
              (unsigned long)k->vaddr_max, (unsigned long)k->paddr_min, (unsigned long)pages,
              sv39_flags(e.pte, fl2), (unsigned long)(first_page >> 10), (unsigned long)(last_page >> 10),
              global == pages ? "global" : global == 0 ? "not global" : "partly global");
}

enum region { R_KERNEL, R_USER, R_DTB, R_TABLES, R_LOADER, R_FIRMWARE, R_OTHER, R_N };
static const char *const region_names[R_N] = {
    "kernel image", "user image", "DTB", "page tables", "loader image", "firmware (OpenSBI)", "elsewhere",
};

static int in(uint64_t a, uint64_t lo, uint64_t hi) { return a >= lo && a < hi; }

static int table_page(const struct rv_ctx *x, uint64_t pa)
{
    if ((x->e->satp >> SATP_MODE_SHIFT) != SATP_MODE_SV39)
        return 0;
    uint64_t root = (x->e->satp & SATP_PPN_MASK) << 12;
    if (in(pa, root, root + PAGE))
        return 1;
    /* A table page: one the walk of the kernel window or of the loader reads. */
    const struct elf_image *k = &x->img->kernel.elf;
    uint64_t probes[2] = { k->entry, x->img->elf.entry };
    for (int i = 0; i < 2; i++) {
        uint64_t table = root, va = probes[i];
        for (int level = 2; level >= 0; level--) {
            uint64_t pte;
            if (emu_ram_read64(x->m, table + ((va >> (12 + 9 * level)) & 511) * 8, &pte) != 0 ||
                !(pte & SV39_PTE_V) || (pte & (SV39_PTE_R | SV39_PTE_X)))
                break;
            table = ((pte >> SV39_PTE_PPN_SHIFT) & SV39_PTE_PPN_MASK) << 12;
            if (in(pa, table, table + PAGE))
                return 1;
        }
    }
    return 0;
}

static enum region classify(const struct rv_ctx *x, uint64_t pa)
{
    const uint64_t *a = x->e->a;
    const struct elf_image *k = &x->img->kernel.elf;
    if (in(pa, k->paddr_min, k->paddr_max))
        return R_KERNEL;
    if (in(pa, a[0], a[1]))
        return R_USER;
    if (a[4] != 0 && in(pa, a[4], a[4] + a[5]))
        return R_DTB;
    if (table_page(x, pa))
        return R_TABLES;
    if (in(pa, x->img->elf.paddr_min, x->img->elf.paddr_max))
        return R_LOADER;
    if (in(pa, x->m->ram_base, RV_FIRMWARE_END))
        return R_FIRMWARE;
    return R_OTHER;
}

void rv_write_map(const struct rv_ctx *x, struct strbuf *out)
{
    struct { uint64_t stores, bytes, lo, hi; } map[R_N] = {{0, 0, 0, 0}};
    for (size_t i = 0; i < x->run->nstores; i++) {
        const struct rv_store *s = &x->run->stores[i];
        uint64_t pa = store_pa(x, s->addr);
        enum region r = classify(x, pa);
        if (map[r].stores == 0 || pa < map[r].lo)
            map[r].lo = pa;
        if (pa + s->size > map[r].hi)
            map[r].hi = pa + s->size;
        map[r].stores++;
        map[r].bytes += s->size;
    }
    for (int r = 0; r < R_N; r++)
        if (map[r].stores)
            sb_printf(out, "  %-18s %8lu stores %10lu bytes in [0x%lx..0x%lx)\n", region_names[r],
                      (unsigned long)map[r].stores, (unsigned long)map[r].bytes, (unsigned long)map[r].lo,
                      (unsigned long)map[r].hi);
}

static void check_writes(const struct rv_ctx *x, struct rv_check *c)
{
    size_t bad = 0;
    char sym[128];
    for (size_t i = 0; i < x->run->nstores; i++) {
        const struct rv_store *s = &x->run->stores[i];
        uint64_t pa = store_pa(x, s->addr);
        if (classify(x, pa) != R_FIRMWARE)
            continue;
        if (bad++ == 0)
            sb_printf(&c->msg, "the loader wrote the firmware's memory [0x%lx..0x%lx), which OpenSBI keeps"
                      " for itself (PMP-protected on a real hart):\n", (unsigned long)x->m->ram_base,
                      (unsigned long)RV_FIRMWARE_END);
        if (bad <= MAX_LISTED)
            sb_printf(&c->msg, "  %u-byte store of 0x%lx at 0x%lx from PC 0x%lx (%s), hart %u\n", s->size,
                      (unsigned long)s->value, (unsigned long)pa, (unsigned long)s->pc,
                      emu_symbolize(&x->img->syms, s->pc, sym, sizeof sym), s->hart);
    }
    if (bad) {
        c->status = RV_FAIL;
        return;
    }
    sb_printf(&c->msg, "%lu stores, by destination:\n", (unsigned long)x->run->nstores);
    rv_write_map(x, &c->msg);
}

/* The byte the kernel image has at physical pa (0 in .bss), -1 outside. */
static int kernel_byte(const struct elf_image *k, uint64_t pa)
{
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        if (in(pa, s.paddr, s.paddr + s.memsz))
            return pa - s.paddr < s.filesz ? k->data[s.offset + (pa - s.paddr)] : 0;
    }
    return -1;
}

/* Whether the store at physical pa left a byte of [rs, end) other than the
 * kernel ELF's: a store of the ELF's own value changes nothing seL4 reads. */
static int store_changes_rootserver(const struct rv_ctx *x, const struct rv_store *s, uint64_t pa,
                                    uint64_t rs, uint64_t end)
{
    uint64_t lo = pa > rs ? pa : rs, hi = pa + s->size < end ? pa + s->size : end;
    for (uint64_t b = lo; b < hi; b++) {
        unsigned byte = s->size <= 8 ? (unsigned)((s->value >> (8 * (b - pa))) & 0xff) : 0;
        if ((int)byte != kernel_byte(&x->img->kernel.elf, b))
            return 1;
    }
    return 0;
}

static void check_rootserver(const struct rv_ctx *x, struct rv_check *c)
{
    uint64_t va, size;
    if (emu_symbol_value(&x->img->kernel.syms, "rootserver", &va, &size) != 0 || size == 0) {
        c->status = RV_SKIP;
        sb_printf(&c->msg, "the kernel ELF has no rootserver symbol (stripped): give the unstripped"
                  " kernel with KERNEL=");
        return;
    }
    uint64_t rs = va - kernel_pv(x->img), end = rs + size;
    size_t bad = 0;
    char sym[128];
    for (size_t i = 0; i < x->run->nstores; i++) {
        const struct rv_store *s = &x->run->stores[i];
        uint64_t pa = store_pa(x, s->addr);
        if (!store_changes_rootserver(x, s, pa, rs, end))
            continue;
        if (bad++ == 0)
            sb_printf(&c->msg, "the loader wrote seL4's rootserver structure, which init_kernel fills itself"
                      " (rootserver at paddr [0x%lx..0x%lx)):\n", (unsigned long)rs, (unsigned long)end);
        if (bad <= MAX_LISTED)
            sb_printf(&c->msg, "  %u-byte store of 0x%lx at 0x%lx (rootserver+0x%lx) from PC 0x%lx (%s)\n",
                      s->size, (unsigned long)s->value, (unsigned long)pa,
                      (unsigned long)((pa > rs ? pa : rs) - rs),
                      (unsigned long)s->pc, emu_symbolize(&x->img->syms, s->pc, sym, sizeof sym));
    }
    if (bad) {
        c->status = RV_FAIL;
        return;
    }
    sb_printf(&c->msg, "no store changed rootserver at paddr [0x%lx..0x%lx)", (unsigned long)rs,
              (unsigned long)end);
}

static void check_harts(const struct rv_ctx *x, struct rv_check *c)
{
    const struct rv_run *r = x->run;
    unsigned started = 0, entered = 0;
    for (unsigned i = 0; i < r->nharts; i++) {
        const struct rv_hart *h = &r->harts[i];
        if (h->state == RV_HART_STOPPED)
            continue;
        started++;
        if (h->state != RV_HART_ENTERED) {
            c->status = RV_FAIL;
            sb_printf(&c->msg, "hart %u was started (at 0x%lx) but %s; last PC 0x%lx", h->id,
                      (unsigned long)h->start_addr, rv_hart_state_name(h->state), (unsigned long)h->last_pc);
            return;
        }
        entered++;
        if (i == r->boot_hart)
            continue;
        for (int k = 0; k < 6; k++)
            if (h->at_entry.a[k] != x->e->a[k]) {
                c->status = RV_FAIL;
                sb_printf(&c->msg, "hart %u entered the kernel with a%d 0x%lx, the boot hart with 0x%lx", h->id,
                          k, (unsigned long)h->at_entry.a[k], (unsigned long)x->e->a[k]);
                return;
            }
        if (h->at_entry.a[6] != h->id || h->at_entry.a[7] == 0 || h->at_entry.a[7] >= r->nharts) {
            c->status = RV_FAIL;
            sb_printf(&c->msg, "hart %u entered the kernel with a6 (hart id) 0x%lx and a7 (core id) 0x%lx;"
                      " seL4's SMP entry wants its hart id and a core id 1..%u", h->id,
                      (unsigned long)h->at_entry.a[6], (unsigned long)h->at_entry.a[7], r->nharts - 1);
            return;
        }
        if (h->at_entry.satp >> SATP_MODE_SHIFT != SATP_MODE_SV39) {
            c->status = RV_FAIL;
            sb_printf(&c->msg, "hart %u entered the kernel with satp 0x%lx, not Sv39", h->id,
                      (unsigned long)h->at_entry.satp);
            return;
        }
    }
    sb_printf(&c->msg, "%u of %u harts entered the kernel%s", entered, r->nharts,
              started > 1 ? " with the boot hart's a0..a5, their hart ids in a6 and core ids in a7" : "");
}

void rv_run_checks(const struct rv_ctx *x, struct rv_check out[RV_NCHECKS])
{
    static void (*const run[RV_NCHECKS])(const struct rv_ctx *, struct rv_check *) = {
        check_entry, check_kernel, check_user, check_dtb, check_tables, check_writes, check_rootserver,
        check_harts,
    };
    for (int i = 0; i < RV_NCHECKS; i++) {
        struct rv_check *c = &out[i];
        memset(c, 0, sizeof *c);
        c->name = names[i];
        if (x->e == NULL || !x->img->kernel.present || !x->img->roottask.present) {
            c->status = RV_SKIP;
            sb_printf(&c->msg, "not run: %s", x->e == NULL ? x->run->message : "no kernel or root task known");
            continue;
        }
        c->status = RV_PASS;
        run[i](x, c);
    }
}

void rv_checks_free(struct rv_check c[RV_NCHECKS])
{
    for (int i = 0; i < RV_NCHECKS; i++)
        sb_free(&c[i].msg);
}

/* --- observations for the report's memory map (bootcheck.reports.rv_pictures) */

#define MAX_TABLE_PAGES 512
#define MAX_RS_STORES 16

static size_t collect_tables(struct emu_machine *m, uint64_t table, int level, uint64_t *pages, size_t n)
{
    if (n >= MAX_TABLE_PAGES)
        return n;
    pages[n++] = table;
    if (level == 0)
        return n;
    for (uint64_t i = 0; i < 512 && n < MAX_TABLE_PAGES; i++) {
        uint64_t pte;
        if (emu_ram_read64(m, table + 8 * i, &pte) != 0)
            break;
        if ((pte & SV39_PTE_V) && !(pte & (SV39_PTE_R | SV39_PTE_X | SV39_PTE_W)))
            n = collect_tables(m, ((pte >> SV39_PTE_PPN_SHIFT) & SV39_PTE_PPN_MASK) << 12, level - 1, pages, n);
    }
    return n;
}

/* Writes `, "table_pages": [...], "writes": [...], "rootserver": {...}`:
 * every page of the Sv39 tables the kernel is entered with (reachable from
 * satp), the stores by destination region (as the writes check lists them),
 * and the stores that changed seL4's rootserver. */
void rv_observations_json(FILE *f, const struct rv_ctx *x)
{
    if (x->e == NULL)
        return;
    fputs(",\n    \"table_pages\": [", f);
    if ((x->e->satp >> SATP_MODE_SHIFT) == SATP_MODE_SV39) {
        static uint64_t pages[MAX_TABLE_PAGES];
        size_t n = collect_tables(x->m, (x->e->satp & SATP_PPN_MASK) << 12, 2, pages, 0);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ", " : "", f);
            json_hex(f, pages[i]);
        }
    }
    fputs("],\n    \"writes\": [", f);
    struct { uint64_t stores, bytes, lo, hi, pc; } map[R_N] = {{0, 0, 0, 0, 0}};
    for (size_t i = 0; i < x->run->nstores; i++) {
        const struct rv_store *s = &x->run->stores[i];
        uint64_t pa = store_pa(x, s->addr);
        enum region r = classify(x, pa);
        if (map[r].stores == 0 || pa < map[r].lo)
            map[r].lo = pa;
        if (map[r].stores == 0)
            map[r].pc = s->pc;
        if (pa + s->size > map[r].hi)
            map[r].hi = pa + s->size;
        map[r].stores++;
        map[r].bytes += s->size;
    }
    int first = 1;
    char sym[128];
    for (int r = 0; r < R_N; r++) {
        if (map[r].stores == 0)
            continue;
        fprintf(f, "%s{\"region\": \"%s\", ", first ? "" : ", ", region_names[r]);
        json_key_u64(f, "stores", map[r].stores);
        fputs(", ", f);
        json_key_u64(f, "bytes", map[r].bytes);
        fputs(", \"start\": ", f);
        json_hex(f, map[r].lo);
        fputs(", \"end\": ", f);
        json_hex(f, map[r].hi);
        fputs(", \"pc\": ", f);
        json_hex(f, map[r].pc);
        fputs(", \"pc_symbol\": ", f);
        json_cstr(f, emu_symbolize(&x->img->syms, map[r].pc, sym, sizeof sym));
        fputc('}', f);
        first = 0;
    }
    fputc(']', f);
    uint64_t va, size;
    if (emu_symbol_value(&x->img->kernel.syms, "rootserver", &va, &size) != 0 || size == 0)
        return;
    uint64_t rs = va - kernel_pv(x->img), end = rs + size;
    fputs(",\n    \"rootserver\": {\"paddr\": ", f);
    json_hex(f, rs);
    fputs(", ", f);
    json_key_u64(f, "size", size);
    fputs(", \"stores\": [", f);
    unsigned listed = 0;
    for (size_t i = 0; i < x->run->nstores && listed < MAX_RS_STORES; i++) {
        const struct rv_store *s = &x->run->stores[i];
        uint64_t pa = store_pa(x, s->addr);
        if (!store_changes_rootserver(x, s, pa, rs, end))
            continue;
        fputs(listed++ ? ", {\"paddr\": " : "{\"paddr\": ", f);
        json_hex(f, pa);
        fputs(", ", f);
        json_key_u64(f, "size", s->size);
        fputs(", \"value\": ", f);
        json_hex(f, s->value);
        fputs(", \"pc\": ", f);
        json_hex(f, s->pc);
        fputs(", \"pc_symbol\": ", f);
        json_cstr(f, emu_symbolize(&x->img->syms, s->pc, sym, sizeof sym));
        fputc('}', f);
    }
    fputs("]}", f);
}
