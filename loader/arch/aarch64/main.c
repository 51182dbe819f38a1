/* The loader's one pass: find the payload, validate everything, plan the
 * placement (loader/common/plan.c, the same code the host tools run), copy,
 * build the hand-off tables and enter the kernel. Nothing is written to
 * memory outside the loader until the whole plan has been accepted. */
#include <stdint.h>

#include "../../common/cpio.h"
#include "../../common/elf.h"
#include "../../common/plan.h"
#include "dtb.h"
#include "enter.h"
#include "handoff_record.h"
#include "linux_boot.h"
#include "mmu.h"
#include "mutations.h"
#include "override.h"
#include "power.h"
#include "smp.h"
#include "sysreg.h"
#include "uart.h"

extern uint8_t _payload_start[], _payload_end[];
extern uint8_t __loader_start[], __loader_end[];
extern uint8_t loader_vectors[];

int loader_handed_off;

int find_member(const char *name, struct cpio_member *m)
{
    char err[CPIO_ERR_LEN];
    int r = cpio_find(_payload_start, (uint64_t)(_payload_end - _payload_start), name, m, err);
    if (r < 0)
        loader_fail("%s", err);
    return r;
}

static void validate_elf(const char *name, struct elf_image *img)
{
    struct cpio_member m;
    char err[ELF_ERR_LEN];
    if (!find_member(name, &m))
        loader_fail("payload has no %s", name);
    if (elf_validate(img, m.data, m.size, err) != 0)
        loader_fail("%s: %s", name, err);
}

#define LOAD_MAX_SORTED 16

static void zero_gap(uint64_t from, uint64_t to)
{
#ifndef BC_MUTATE_SKIP_BSS_ZERO
    if (to > from)
        load_zero((void *)(uintptr_t)from, to - from);
#else
    (void)from;
    (void)to;
#endif
}

/* Copies every segment to (by_vaddr ? vaddr : paddr) + delta and zeroes the
 * rest of dest: each segment's [filesz, memsz), the gaps between segments and
 * the page-rounded tail. Every byte is written once, in address order. */
static void load_elf(const struct elf_image *img, int by_vaddr, uint64_t delta, struct mem_range dest)
{
    struct elf_segment segs[LOAD_MAX_SORTED];
    unsigned n = img->nload < LOAD_MAX_SORTED ? img->nload : LOAD_MAX_SORTED;
    if (img->nload > LOAD_MAX_SORTED) {
        /* Too many to sort here: zero everything, then copy over it. */
        zero_gap(dest.start, dest.end);
        n = 0;
        for (unsigned i = 0; i < img->nload; i++) {
            struct elf_segment seg;
            elf_segment_get(img, i, &seg);
            uint64_t to = (by_vaddr ? seg.vaddr : seg.paddr) + delta;
            load_copy((void *)(uintptr_t)to, img->data + seg.offset, seg.filesz);
            if (seg.flags & ELF_PF_X)
                cache_sync_code(to, to + seg.filesz);
        }
        return;
    }
    for (unsigned i = 0; i < n; i++) {   /* insertion sort by destination */
        struct elf_segment seg;
        elf_segment_get(img, i, &seg);
        seg.paddr = (by_vaddr ? seg.vaddr : seg.paddr) + delta;   /* destination */
        unsigned j = i;
        for (; j > 0 && segs[j - 1].paddr > seg.paddr; j--)
            segs[j] = segs[j - 1];
        segs[j] = seg;
    }
    uint64_t cursor = dest.start;
    for (unsigned i = 0; i < n; i++) {
        uint64_t to = segs[i].paddr;
        zero_gap(cursor, to);
        load_copy((void *)(uintptr_t)to, img->data + segs[i].offset, segs[i].filesz);
        if (segs[i].flags & ELF_PF_X)
            cache_sync_code(to, to + segs[i].filesz);
        cursor = to + segs[i].filesz;
    }
    zero_gap(cursor, dest.end);
}

static void print_elf(const char *what, const struct elf_image *img, struct mem_range phys)
{
    uart_printf("loader: %s paddr [0x%lx..0x%lx) vaddr [0x%lx..0x%lx) entry 0x%lx\n", what,
                (unsigned long)phys.start, (unsigned long)phys.end, (unsigned long)img->vaddr_min,
                (unsigned long)img->vaddr_max, (unsigned long)img->entry);
}

void loader_main(uint64_t boot_x0)
{
    unsigned el = current_el();
    uart_printf("\nbootcheck loader: started at EL%u, MIDR 0x%08lx, image [0x%lx..0x%lx)\n", el,
                (unsigned long)sysreg_read(MIDR_EL1), (unsigned long)(uintptr_t)__loader_start,
                (unsigned long)(uintptr_t)__loader_end);
    if (el != 1 && el != 2)
        loader_fail("started at EL%u; only EL1 (-machine virt) and EL2 (virtualization=on) are supported",
                    el);
    mmu_enable_boot_map();

    struct cpio_member dtb_member;
    int have_dtb = find_member(PAYLOAD_DTB, &dtb_member);
    struct dtb_info dtb;
    dtb_select(have_dtb ? (void *)(uintptr_t)dtb_member.data : 0, have_dtb ? dtb_member.size : 0, boot_x0,
               &dtb);
    uart_printf("loader: DTB from %s at 0x%lx, %lu bytes; PSCI via %s\n", dtb.source,
                (unsigned long)(uintptr_t)dtb.fdt, (unsigned long)dtb.size, power_conduit_name());
    for (unsigned i = 0; i < dtb.nram; i++)
        uart_printf("loader: RAM [0x%lx..0x%lx)\n", (unsigned long)dtb.ram[i].start,
                    (unsigned long)dtb.ram[i].end);
    if (payload_is_linux)   /* the Linux payload kind: a flag the pack step links in */
        linux_boot(&dtb);

    struct elf_image kernel, roottask;
    validate_elf(PAYLOAD_KERNEL, &kernel);
    validate_elf(PAYLOAD_ROOTTASK, &roottask);

    struct plan_inputs in = {
        .kernel = &kernel,
        .roottask = &roottask,
        .dtb_size = dtb.size,
        .nram = dtb.nram,
        .loader = { (uintptr_t)__loader_start, (uintptr_t)__loader_end },
    };
    for (unsigned i = 0; i < dtb.nram; i++)
        in.ram[i] = dtb.ram[i];
    struct boot_plan plan;
    char err[PLAN_ERR_LEN];
    if (plan_boot(&in, &plan, err) != 0)
        loader_fail("%s", err);
    if (plan.flavour == KERNEL_HYP && el != 2)
        loader_fail("kernel is a hyp (EL2) kernel (entry 0x%lx) but the CPU started at EL1;"
                    " run it with -machine virt,virtualization=on", (unsigned long)plan.kernel_entry);

    uart_printf("loader: kernel is an %s kernel\n", plan.flavour == KERNEL_HYP ? "EL2 (hyp)" : "EL1");
    print_elf("kernel", &kernel, plan.kernel_phys);
    uart_printf("loader: dtb paddr [0x%lx..0x%lx)\n", (unsigned long)plan.dtb_phys.start,
                (unsigned long)plan.dtb_phys.end);
    print_elf("roottask", &roottask, plan.user_phys);

    /* The DTB goes first: QEMU's copy sits where the kernel is about to be
     * loaded, and its destination may overlap its source. */
    if (dtb.size > 0) {
        extern void *memmove(void *, const void *, unsigned long);
        memmove((void *)(uintptr_t)plan.dtb_phys.start, dtb.fdt, dtb.size);
    }
    load_elf(&kernel, 0, 0, plan.kernel_phys);
#ifdef BC_MUTATE_WRITE_ROOTSERVER
    uint64_t rootserver;
    if (elf_symbol_lookup(&kernel, "rootserver", &rootserver, 0) == 0)
        *(volatile uint64_t *)(uintptr_t)(rootserver - plan.kernel_virt_offset) =
            BC_MUTANT_ROOTSERVER_VALUE;
#endif
#ifdef BC_MUTATE_STRAY_WRITE
    *(volatile uint64_t *)(uintptr_t)__loader_end = BC_MUTANT_STRAY_VALUE;
#endif
    load_elf(&roottask, 1, plan.user_pv_offset, plan.user_phys);

    struct handoff_regs regs = { 0 };
    for (int i = 0; i < 6; i++)
        regs.x[i] = plan.handoff[i];
    override_apply(regs.x);
    if (payload_has_handoff_record)   /* opt-in; after load_elf, which would overwrite it */
        handoff_record_write(&plan);
#ifdef BC_MUTATE_WRONG_X1
    regs.x[1] += PLAN_PAGE;
#endif
    regs.entry = plan.kernel_entry;
    regs.vbar = (uintptr_t)loader_vectors;
    mmu_build_handoff(&plan, in.loader, &regs);

    uart_printf("loader: handoff x0=0x%lx x1=0x%lx x2=0x%lx x3=0x%lx x4=0x%lx x5=0x%lx\n",
                (unsigned long)regs.x[0], (unsigned long)regs.x[1], (unsigned long)regs.x[2],
                (unsigned long)regs.x[3], (unsigned long)regs.x[4], (unsigned long)regs.x[5]);
    unsigned nodes = smp_kernel_nodes();
    if (nodes > 1)
        smp_start_cores(&dtb, nodes, &regs, plan.flavour == KERNEL_HYP);
    uart_printf("loader: jumping to kernel at 0x%lx (EL%u)\n", (unsigned long)plan.kernel_entry,
                plan.flavour == KERNEL_HYP ? 2u : 1u);
    loader_handed_off = 1;
    if (nodes > 1)
        smp_release_cores();
    __asm__ volatile("ic iallu\n dsb sy\n isb" ::: "memory");
    if (plan.flavour == KERNEL_HYP)
        enter_hyp_kernel(&regs);
    if (el == 2)
        enter_el1_kernel_from_el2(&regs);
    enter_el1_kernel_from_el1(&regs);
}
