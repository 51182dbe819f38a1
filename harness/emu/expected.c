#include "expected.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "../../loader/common/dtb_parse.h"
#include "../../loader/common/linux_image.h"
#include "../../loader/common/pagetable.h"
#include "../../loader/common/qemu_virt.h"

/* RAM as the DTB the loader will read describes it. */
static int dtb_ram(const void *fdt, struct plan_inputs *in)
{
    int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
    in->nram = 0;
    for (int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
         node >= 0; node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "memory", 7)) {
        int len;
        const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
        if (reg == NULL || ac < 1 || ac > 2 || sc < 1 || sc > 2)
            return -1;
        for (int i = 0; (i + 1) * 4 * (ac + sc) <= len && in->nram < PLAN_MAX_RAM; i++) {
            const fdt32_t *c = reg + i * (ac + sc);
            uint64_t base = 0, size = 0;
            for (int k = 0; k < ac; k++) base = (base << 32) | fdt32_to_cpu(c[k]);
            for (int k = 0; k < sc; k++) size = (size << 32) | fdt32_to_cpu(c[ac + k]);
            if (size != 0)
                in->ram[in->nram++] = (struct mem_range){ base, base + size };
        }
    }
    return in->nram ? 0 : -1;
}

static void allow(struct emu_expected *e, const char *name, uint64_t start, uint64_t end)
{
    if (start < end && e->nallowed < EMU_MAX_REGIONS)
        e->allowed[e->nallowed++] = (struct emu_region){ name, start, end };
}

static void allow_symbols(struct emu_expected *e, const struct emu_image *img, const char *name,
                          const char *from, const char *to)
{
    uint64_t a, b;
    if (emu_loader_symbol(img, from, &a) == 0 && emu_loader_symbol(img, to, &b) == 0)
        allow(e, name, a, b);
}

/* What the loader may write besides the images it places: its own memory,
 * the source DTB it packs in place, the UART. */
static void allow_loader_memory(struct emu_expected *e, const struct emu_image *img,
                                const struct emu_qemu_dtb *qdtb)
{
    uint64_t addr, len;
    if (emu_section(img->file, img->size, ".data", &addr, &len) == 0)
        allow(e, "loader .data", addr, addr + len);
    allow_symbols(e, img, "loader .bss (stacks, page tables)", "__bss_start", "__bss_end");
    allow_symbols(e, img, "loader DTB scratch", "__dtb_scratch_start", "__dtb_scratch_end");
    /* fdt_pack rewrites QEMU's (or the previous stage's) blob where it lies. */
    if (img->dtb == NULL && qdtb->placed)
        allow(e, strcmp(qdtb->source, "QEMU") == 0 ? "QEMU DTB (packed in place)"
                                                   : "x0 DTB (packed in place)",
              qdtb->addr, qdtb->addr + qdtb->size);
    allow(e, "PL011 UART", VIRT_UART_BASE, VIRT_UART_BASE + VIRT_UART_SIZE);
}

static void allowed_writes(struct emu_expected *e, const struct emu_image *img,
                           const struct emu_qemu_dtb *qdtb)
{
    const struct boot_plan *p = &e->plan;
    allow(e, "kernel image", p->kernel_phys.start, p->kernel_phys.end);
    allow(e, "DTB copy", p->dtb_phys.start, p->dtb_phys.end);
    allow(e, "root task image", p->user_phys.start, p->user_phys.end);
    allow_loader_memory(e, img, qdtb);
}

void emu_expected_linux_writes(struct emu_expected *e, const struct emu_image *img,
                               const struct emu_qemu_dtb *qdtb, const struct linux_plan *p)
{
    allow(e, "Linux image", p->image.start, p->image.end);
    allow(e, "Linux DTB", p->dtb.start, p->dtb.end);
    allow(e, "Linux initrd", p->initrd.start, p->initrd.end);
    allow_loader_memory(e, img, qdtb);
}

/* Feeds one expected mapping through the walker's own coalescing, 2 MiB at a
 * time, so expected and actual maps have the same shape. */
static void expect_map(struct emu_expected *e, unsigned table, uint64_t va, uint64_t pa,
                       uint64_t size, uint64_t attrs)
{
    for (uint64_t off = 0; off < size; off += PT_L2_BLOCK_SIZE) {
        struct ptwalk_leaf leaf = {
            .va = va + off, .pa = pa + off, .size = PT_L2_BLOCK_SIZE, .level = 2,
            .desc = ((pa + off) & PTE_ADDR_MASK) | attrs | PTE_TYPE_BLOCK,
        };
        ptwalk_coalesce(e->map[table], EMU_MAX_MAP, &e->nmap[table], &leaf);
    }
}

/* seL4 runs its first instructions on these tables: its window as normal
 * cacheable, executable memory (MAIR index 4 is what seL4 itself uses), the
 * loader identity-mapped so the instructions after the MMU switch still
 * fetch, the UART as strongly-ordered device memory; nothing else. */
static void expected_map(struct emu_expected *e)
{
    const uint64_t normal = PTE_AF | PTE_AP_RW_EL1 | PTE_ATTRINDX(MAIR_IDX_NORMAL_WB);
    const uint64_t device = PTE_AF | PTE_AP_RW_EL1 | PTE_ATTRINDX(MAIR_IDX_DEVICE_nGnRnE) |
                            PTE_UXN | PTE_PXN;
    const struct boot_plan *p = &e->plan;
    uint64_t kpa = PLAN_ROUND_DOWN(p->kernel_phys.start, PT_L2_BLOCK_SIZE);
    uint64_t kend = PLAN_ROUND_UP(p->kernel_phys.end, PT_L2_BLOCK_SIZE);
    uint64_t lstart = PLAN_ROUND_DOWN(e->loader_start, PT_L2_BLOCK_SIZE);
    uint64_t lend = PLAN_ROUND_UP(e->loader_end, PT_L2_BLOCK_SIZE);
    uint64_t uart = PLAN_ROUND_DOWN(VIRT_UART_BASE, PT_L2_BLOCK_SIZE);
    unsigned ktable = p->flavour == KERNEL_HYP ? 0 : 1;

    /* Ascending VA order within each table. */
    struct { unsigned table; uint64_t va, pa, size, attrs; } m[3] = {
        { 0, uart, uart, PT_L2_BLOCK_SIZE, device },
        { 0, lstart, lstart, lend - lstart, normal },
        { ktable, kpa + p->kernel_virt_offset, kpa, kend - kpa, normal },
    };
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (m[j].table < m[i].table || (m[j].table == m[i].table && m[j].va < m[i].va)) {
                __typeof__(m[0]) t = m[i];
                m[i] = m[j];
                m[j] = t;
            }
    for (int i = 0; i < 3; i++)
        expect_map(e, m[i].table, m[i].va, m[i].pa, m[i].size, m[i].attrs);
}

static void find_rootserver(struct emu_expected *e, const struct emu_image *img)
{
    uint64_t value, size;
    if (emu_symbol_value(&img->kernel.syms, "rootserver", &value, &size) != 0)
        return;
    e->has_rootserver = 1;
    e->rootserver_pa = value - e->plan.kernel_virt_offset;
    e->rootserver_size = size ? size : 8;
}

/* The record's fields, each from the plan and the inputs (handoff_record.h);
 * an unusable member is one the loader must refuse, so nothing is expected. */
static int expected_record(struct emu_expected *e, const struct emu_image *img, uint64_t dtb_size)
{
    if (!img->has_handoff_record)
        return 0;
    const struct boot_plan *p = &e->plan;
    uint64_t pa = img->handoff_record_pa, size = sizeof(struct handoff_record);
    if (img->handoff_record_member_size != HANDOFF_RECORD_MEMBER_SIZE) {
        snprintf(e->problem, sizeof e->problem,
                 "payload %s is %lu bytes, not %u (the loader must refuse it)",
                 PAYLOAD_HANDOFF_RECORD, (unsigned long)img->handoff_record_member_size,
                 HANDOFF_RECORD_MEMBER_SIZE);
        return -1;
    }
    if (pa % 8 != 0 || pa < p->kernel_phys.start || pa > p->kernel_phys.end ||
        size > p->kernel_phys.end - pa) {
        snprintf(e->problem, sizeof e->problem,
                 "payload %s places the record at paddr 0x%lx, not an aligned range inside the"
                 " kernel image [0x%lx..0x%lx) (the loader must refuse it)",
                 PAYLOAD_HANDOFF_RECORD, (unsigned long)pa, (unsigned long)p->kernel_phys.start,
                 (unsigned long)p->kernel_phys.end);
        return -1;
    }
    e->has_record = 1;
    e->record_pa = pa;
    e->record = (struct handoff_record){
        .magic = HANDOFF_RECORD_MAGIC,
        .version = HANDOFF_RECORD_VERSION,
        .p_reg_start = p->user_phys.start,
        .p_reg_end = p->user_phys.end,
        .v_reg_start = p->user_virt.start,
        .v_reg_end = p->user_virt.end,
        .v_entry = img->roottask.elf.entry,
        .extra_bi = p->dtb_phys.start,
        .extra_bi_size = dtb_size,
        .pv_offset = p->user_pv_offset,
    };
    return 0;
}

void emu_expected_compute(const struct emu_image *img, const struct emu_machine *m,
                          const struct emu_qemu_dtb *qdtb, struct emu_expected *out)
{
    memset(out, 0, sizeof *out);
    if (!img->has_payload || !img->kernel.present || !img->roottask.present) {
        snprintf(out->problem, sizeof out->problem, "no hand-off to expect: %s",
                 img->payload_problem[0] ? img->payload_problem : "payload incomplete");
        return;
    }
    if (emu_loader_symbol(img, "__loader_start", &out->loader_start) != 0 ||
        emu_loader_symbol(img, "__loader_end", &out->loader_end) != 0) {
        snprintf(out->problem, sizeof out->problem,
                 "image has no __loader_start/__loader_end symbols");
        return;
    }
    struct plan_inputs in = {
        .kernel = &img->kernel.elf, .roottask = &img->roottask.elf,
        .loader = { out->loader_start, out->loader_end },
    };
    if (img->dtb != NULL) {
        out->dtb_source = "payload kernel.dtb";
        if (img->dtb_size < sizeof(struct fdt_header) || fdt_check_header(img->dtb) != 0 ||
            dtb_ram(img->dtb, &in) != 0) {
            snprintf(out->problem, sizeof out->problem,
                     "payload kernel.dtb is not a usable DTB (the loader must refuse it)");
            return;
        }
        in.dtb_size = dtb_handover_size(img->dtb);   /* packed, as the loader hands it over */
    } else if (qdtb->placed) {
        out->dtb_source = qdtb->source;
        in.dtb_size = qdtb->packed_size;
        in.ram[0] = (struct mem_range){ m->ram_base, m->ram_base + m->ram_size };
        in.nram = 1;
    } else {
        snprintf(out->problem, sizeof out->problem,
                 "no DTB: the payload has none and QEMU writes none for this image");
        return;
    }
    char err[PLAN_ERR_LEN];
    if (plan_boot(&in, &out->plan, err) != 0) {
        snprintf(out->problem, sizeof out->problem, "no valid boot plan: %s", err);
        return;
    }
    out->kernel_el = out->plan.flavour == KERNEL_HYP ? 2 : 1;
    if (expected_record(out, img, in.dtb_size) != 0)
        return;
    allowed_writes(out, img, qdtb);
    find_rootserver(out, img);
    expected_map(out);
    out->ok = 1;
}

int emu_expected_kernel_byte(const struct emu_image *img, const struct emu_expected *e,
                             uint64_t pa)
{
    if (pa < e->plan.kernel_phys.start || pa >= e->plan.kernel_phys.end)
        return -1;
    const struct elf_image *k = &img->kernel.elf;
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        if (pa >= s.paddr && pa < s.paddr + s.filesz)
            return k->data[s.offset + (pa - s.paddr)];
    }
    return 0;
}
