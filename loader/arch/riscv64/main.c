/* The riscv64 loader's one pass, as on AArch64: find the payload, validate
 * the DTB (own reader, no libfdt) and both ELFs, plan the placement with the
 * shared planner (loader/common/plan.c), copy, build the Sv39 tables and
 * enter the kernel. Nothing outside the loader is written until the whole
 * plan has been accepted. */
#include <stdint.h>

#include "../../common/cpio.h"
#include "../../common/dtb_facts.h"
#include "../../common/elf.h"
#include "../../common/fdt_header.h"
#include "../../common/plan.h"
#include "../../common/qemu_virt.h"
#include "console.h"
#include "load.h"
#include "mmu.h"
#include "smp.h"

extern uint8_t _payload_start[], _payload_end[];
extern uint8_t __loader_start[], __loader_end[];
void enter_kernel(const struct riscv_handoff *h, uint64_t hart, uint64_t core)
    __attribute__((noreturn));
void *memmove(void *dst, const void *src, unsigned long n);

#define LOADER_ALIGN (UINT64_C(2) << 20)   /* OpenSBI's next stage sits on a 2 MiB boundary */
#define FW_DTB_MAX   (UINT64_C(1) << 20)   /* bound for a firmware DTB's totalsize */

int loader_handed_off;
/* The link address as data (an absolute relocation), to compare with where
 * the position-independent code finds itself running. */
static volatile const uintptr_t linked_start = (uintptr_t)__loader_start;

/* The payload's members, read in one pass over the archive. */
struct payload {
    struct cpio_member kernel, roottask, dtb;
    int has_kernel, has_roottask, has_dtb;
};

static void find_members(struct payload *p)
{
    static const char *const names[3] = { PAYLOAD_DTB, PAYLOAD_KERNEL, PAYLOAD_ROOTTASK };
    struct cpio_member m[3];
    int found[3];
    char err[CPIO_ERR_LEN];
    if (cpio_find_each(_payload_start, (uint64_t)(_payload_end - _payload_start), names, 3, m, found,
                       err) != 0)
        loader_fail("%s", err);
    p->dtb = m[0];
    p->kernel = m[1];
    p->roottask = m[2];
    p->has_dtb = found[0];
    p->has_kernel = found[1];
    p->has_roottask = found[2];
}

static void validate_elf(const char *name, int present, const struct cpio_member *m,
                         struct elf_image *img)
{
    char err[ELF_ERR_LEN];
    if (!present)
        loader_fail("payload has no %s", name);
    if (elf_validate_machine(img, m->data, m->size, ELF_EM_RISCV, err) != 0)
        loader_fail("%s: %s", name, err);
}

static void check_where_linked(void)
{
    uintptr_t running;
    __asm__("lla %0, __loader_start" : "=r"(running));
    if (running != linked_start)
        loader_fail("the loader runs at 0x%lx but is linked at 0x%lx", (unsigned long)running,
                    (unsigned long)linked_start);
    if (linked_start % LOADER_ALIGN != 0)
        loader_fail("the loader is linked at 0x%lx, not on a 2 MiB boundary (OpenSBI starts the"
                    " next stage at 0x80200000)", (unsigned long)linked_start);
}

/* The payload's kernel.dtb if it has one, else the firmware's (a1). */
static void read_dtb(const struct payload *p, uint64_t fw_dtb, const void **fdt, uint32_t *size,
                     struct dtb_facts *facts)
{
    const char *what = "kernel.dtb (payload)", *source = "payload";
    uint64_t avail;
    if (p->has_dtb) {
        *fdt = p->dtb.data;
        avail = p->dtb.size;
    } else {
        if (fw_dtb == 0)
            loader_fail("no DTB: the payload has no kernel.dtb and the firmware passed a1 = 0");
        *fdt = (const void *)(uintptr_t)fw_dtb;
        avail = FW_DTB_MAX;
        what = "the firmware's DTB (a1)";
        source = "firmware";
    }
    char err[DTB_ERR_LEN];
    if (fdt_header_check(*fdt, avail, what, err) != 0)
        loader_fail("%s", err);
    struct fdt_scan scan;
    char why[FDT_SCAN_ERR_LEN];
    if (fdt_scan(*fdt, &scan, why) != 0)
        loader_fail("%s is not a valid DTB: %s", what, why);
    if (dtb_facts_from_scan(&scan, source, facts, err) != 0)
        loader_fail("%s", err);
    *size = fdt_header_totalsize(*fdt);
    console_printf("loader: DTB from %s at 0x%lx, %u bytes, %u harts in /cpus\n", source,
                   (unsigned long)(uintptr_t)*fdt, *size, facts->ncpus);
}

/* OpenSBI keeps the RAM below its next stage's address (qemu_virt.h):
 * nothing may be placed there. */
#define SBI_FIRMWARE_END ((uint64_t)RISCV_SBI_FIRMWARE_END)

static void check_above_firmware(const char *what, struct mem_range r)
{
    if (r.end > r.start && r.start < SBI_FIRMWARE_END)
        loader_fail("%s paddr [0x%lx..0x%lx) lies below 0x%lx, in the SBI firmware's memory", what,
                    (unsigned long)r.start, (unsigned long)r.end, (unsigned long)SBI_FIRMWARE_END);
}

void loader_main(uint64_t hart, uint64_t fw_dtb)
{
    /* Four lines on a good boot: every character is an SBI call and a dozen
     * instructions. What they leave out is in the hand-off line (a0, a1:
     * where the root task went; a4, a5: the DTB copy) or in the ELFs (the
     * kernel sits at its physical addresses); every refusal names the
     * ranges involved. */
    console_printf("\nbootcheck loader (riscv64): started on hart %lu in S-mode\n", (unsigned long)hart);
    check_where_linked();

    struct payload payload;
    find_members(&payload);
    const void *fdt;
    uint32_t dtb_size;
    struct dtb_facts dtb;
    read_dtb(&payload, fw_dtb, &fdt, &dtb_size, &dtb);

    struct elf_image kernel, roottask;
    validate_elf(PAYLOAD_KERNEL, payload.has_kernel, &payload.kernel, &kernel);
    validate_elf(PAYLOAD_ROOTTASK, payload.has_roottask, &payload.roottask, &roottask);
    if (kernel.entry % 2 != 0)
        loader_fail("kernel entry 0x%lx is not 2-byte aligned (the jump would take an instruction"
                    " address misaligned trap)", (unsigned long)kernel.entry);

    struct plan_inputs in = {
        .kernel = &kernel,
        .roottask = &roottask,
        .dtb_size = dtb_size,
        .nram = dtb.nram,
        .loader = { (uintptr_t)__loader_start, (uintptr_t)__loader_end },
    };
    for (unsigned i = 0; i < dtb.nram; i++)
        in.ram[i] = dtb.ram[i];
    struct boot_plan plan;
    char err[PLAN_ERR_LEN];
    if (plan_boot(&in, &plan, err) != 0)
        loader_fail("%s", err);
    check_above_firmware("kernel", plan.kernel_phys);
    check_above_firmware("DTB copy", plan.dtb_phys);
    check_above_firmware("roottask", plan.user_phys);

    /* The other harts first, while OpenSBI's next address still leads to
     * _start (see smp.h). */
    unsigned nodes = smp_kernel_nodes();
    if (nodes > 1)
        smp_start_harts(&dtb, nodes, hart);

    /* The DTB first: the firmware's copy may lie where an image goes. */
    memmove((void *)(uintptr_t)plan.dtb_phys.start, fdt, dtb_size);
    load_elf(&kernel, 0, 0, plan.kernel_phys);
    load_elf(&roottask, 1, plan.user_pv_offset, plan.user_phys);

    struct riscv_handoff h;
    for (int i = 0; i < 6; i++)
        h.a[i] = plan.handoff[i];
    h.entry = plan.kernel_entry;
    h.satp = mmu_build_handoff(&plan, in.loader);
    console_printf("loader: handoff a0=0x%lx a1=0x%lx a2=0x%lx a3=0x%lx a4=0x%lx a5=0x%lx satp=0x%lx\n",
                   (unsigned long)h.a[0], (unsigned long)h.a[1], (unsigned long)h.a[2],
                   (unsigned long)h.a[3], (unsigned long)h.a[4], (unsigned long)h.a[5],
                   (unsigned long)h.satp);
    console_printf("loader: jumping to kernel at 0x%lx (hart %lu, core 0)\n",
                   (unsigned long)plan.kernel_entry, (unsigned long)hart);
    loader_handed_off = 1;
    if (nodes > 1)
        smp_release_harts(&h);
    enter_kernel(&h, hart, 0);
}
