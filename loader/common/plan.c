#include "plan.h"

#include "fmt.h"
#include "pagetable.h"

static int overlaps(struct mem_range a, struct mem_range b)
{
    return a.start < b.end && b.start < a.end;
}

static int inside_ram(const struct plan_inputs *in, struct mem_range r)
{
    /* A range whose page-rounded end wrapped past 2^64 would otherwise pass
     * both tests below for any start inside RAM. */
    if (r.end < r.start)
        return 0;
    for (unsigned i = 0; i < in->nram; i++)
        if (r.start >= in->ram[i].start && r.end <= in->ram[i].end)
            return 1;
    return 0;
}

static void ram_text(const struct plan_inputs *in, char *buf, unsigned len)
{
    unsigned used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < in->nram && used < len; i++)
        used += (unsigned)bc_snprintf(buf + used, len - used, "%s[0x%lx..0x%lx)",
                                      i ? " " : "", (unsigned long)in->ram[i].start,
                                      (unsigned long)in->ram[i].end);
}

/* Every placed region must lie in RAM and stay clear of the loader. */
static int check_region(const struct plan_inputs *in, const char *what, struct mem_range r,
                        char err[PLAN_ERR_LEN])
{
    if (!inside_ram(in, r)) {
        char ram[96];
        ram_text(in, ram, sizeof ram);
        bc_snprintf(err, PLAN_ERR_LEN, "%s paddr [0x%lx..0x%lx) is outside RAM %s", what,
                    (unsigned long)r.start, (unsigned long)r.end, ram);
        return -1;
    }
    if (overlaps(r, in->loader)) {
        bc_snprintf(err, PLAN_ERR_LEN, "%s paddr [0x%lx..0x%lx) overlaps the loader [0x%lx..0x%lx)",
                    what, (unsigned long)r.start, (unsigned long)r.end,
                    (unsigned long)in->loader.start, (unsigned long)in->loader.end);
        return -1;
    }
    return 0;
}

static int plan_kernel(const struct plan_inputs *in, struct boot_plan *plan, char err[PLAN_ERR_LEN])
{
    const struct elf_image *k = in->kernel;
    struct elf_segment seg;
    elf_segment_get(k, 0, &seg);
    uint64_t offset = seg.vaddr - seg.paddr;
    for (unsigned i = 1; i < k->nload; i++) {
        elf_segment_get(k, i, &seg);
        if (seg.vaddr - seg.paddr != offset) {
            bc_snprintf(err, PLAN_ERR_LEN,
                        "kernel segments do not share one virtual-physical offset (0x%lx vs 0x%lx)",
                        (unsigned long)offset, (unsigned long)(seg.vaddr - seg.paddr));
            return -1;
        }
    }
    plan->kernel_entry = k->entry;
    plan->kernel_virt_offset = offset;
    plan->flavour = k->entry >= VA_UPPER_HALF_START ? KERNEL_EL1 : KERNEL_HYP;
    if (plan->flavour == KERNEL_EL1 && k->vaddr_min < VA_UPPER_HALF_START) {
        bc_snprintf(err, PLAN_ERR_LEN,
                    "kernel entry 0x%lx is in the upper half but its segments start at 0x%lx",
                    (unsigned long)k->entry, (unsigned long)k->vaddr_min);
        return -1;
    }
    if (plan->flavour == KERNEL_HYP && k->vaddr_max > (UINT64_C(1) << PT_VA_BITS)) {
        bc_snprintf(err, PLAN_ERR_LEN,
                    "kernel virtual range [0x%lx..0x%lx) is neither a 48-bit hyp window nor upper-half",
                    (unsigned long)k->vaddr_min, (unsigned long)k->vaddr_max);
        return -1;
    }
    /* The kernel window is mapped with 2 MiB blocks. */
    if (offset % PT_L2_BLOCK_SIZE != 0) {
        bc_snprintf(err, PLAN_ERR_LEN,
                    "kernel virtual-physical offset 0x%lx is not a multiple of 2 MiB",
                    (unsigned long)offset);
        return -1;
    }
    if (k->paddr_min % PLAN_PAGE != 0) {
        bc_snprintf(err, PLAN_ERR_LEN, "kernel paddr 0x%lx is not 4 KiB aligned",
                    (unsigned long)k->paddr_min);
        return -1;
    }
    plan->kernel_phys.start = k->paddr_min;
    plan->kernel_phys.end = PLAN_ROUND_UP(k->paddr_max, PLAN_PAGE);
    return check_region(in, "kernel", plan->kernel_phys, err);
}

static int plan_user(const struct plan_inputs *in, struct boot_plan *plan, uint64_t dest,
                     char err[PLAN_ERR_LEN])
{
    const struct elf_image *u = in->roottask;
    plan->user_virt.start = PLAN_ROUND_DOWN(u->vaddr_min, PLAN_PAGE);
    plan->user_virt.end = PLAN_ROUND_UP(u->vaddr_max, PLAN_PAGE);
    if (plan->user_virt.end > (UINT64_C(1) << PT_VA_BITS) || plan->user_virt.end < u->vaddr_max) {
        bc_snprintf(err, PLAN_ERR_LEN,
                    "roottask virtual range [0x%lx..0x%lx) is not in the lower (user) half",
                    (unsigned long)u->vaddr_min, (unsigned long)u->vaddr_max);
        return -1;
    }
    plan->user_phys.start = dest;
    plan->user_phys.end = dest + (plan->user_virt.end - plan->user_virt.start);
    plan->user_pv_offset = dest - plan->user_virt.start;
    return check_region(in, "roottask", plan->user_phys, err);
}

int plan_boot(const struct plan_inputs *in, struct boot_plan *plan, char err[PLAN_ERR_LEN])
{
    if (in->nram == 0) {
        bc_snprintf(err, PLAN_ERR_LEN, "no RAM ranges known (no /memory node in the DTB)");
        return -1;
    }
    if (plan_kernel(in, plan, err) != 0)
        return -1;

    /* seL4 reserves {kernel, DTB, user image} in that order and rejects any
     * other order, so each goes on the next page after the previous one. */
    uint64_t next = plan->kernel_phys.end;
    plan->dtb_phys.start = plan->dtb_phys.end = 0;
    if (in->dtb_size > 0) {
        if (in->dtb_size > UINT32_MAX) {
            bc_snprintf(err, PLAN_ERR_LEN, "DTB size %lu does not fit the 32-bit x5",
                        (unsigned long)in->dtb_size);
            return -1;
        }
        plan->dtb_phys.start = next;
        plan->dtb_phys.end = next + in->dtb_size;
        if (check_region(in, "DTB copy", plan->dtb_phys, err) != 0)
            return -1;
        next = PLAN_ROUND_UP(plan->dtb_phys.end, PLAN_PAGE);
    }
    if (plan_user(in, plan, next, err) != 0)
        return -1;

    plan->handoff[0] = plan->user_phys.start;
    plan->handoff[1] = plan->user_phys.end;
    plan->handoff[2] = plan->user_pv_offset;
    plan->handoff[3] = in->roottask->entry;
    plan->handoff[4] = plan->dtb_phys.start;
    plan->handoff[5] = in->dtb_size;
    return 0;
}

unsigned plan_kernel_nodes(const struct elf_image *kernel)
{
    uint64_t value, size;
    if (elf_symbol_lookup(kernel, "kernel_stack_alloc", &value, &size) != 0 ||
        size < PLAN_KERNEL_STACK_SIZE)
        return 1;
    return (unsigned)(size / PLAN_KERNEL_STACK_SIZE);
}
