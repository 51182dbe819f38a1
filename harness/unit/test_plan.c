/* plan.c: a whole accepted plan computed by hand, and every refusal with its
 * exact sentence, including ranges that wrap at 2^64. */
#include <stdio.h>
#include <string.h>

#include "../../loader/common/plan.h"
#include "build.h"
#include "check.h"

#define KV UINT64_C(0xffffff8040000000)
#define KP UINT64_C(0x40000000)
#define RAM_1G { UINT64_C(0x40000000), UINT64_C(0x80000000) }

struct fixture {
    struct test_elf kernel_elf, roottask_elf;
    struct elf_image kernel, roottask;
    struct plan_inputs in;
    struct boot_plan plan;
    char err[PLAN_ERR_LEN];
};

/* An EL1 kernel of 0x5000 bytes at KP, a root task spanning
 * [0x400000..0x404200), 1 GiB of RAM, the loader at 0x48000000 and a DTB of
 * 0x1234 bytes. */
static void good(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    test_elf_init(&f->kernel_elf, 2);
    test_elf_load(&f->kernel_elf, 0, KV, KP, 0x80, 0x3000);
    test_elf_load(&f->kernel_elf, 1, KV + 0x4000, KP + 0x4000, 0x40, 0x1000);
    test_ehdr(&f->kernel_elf)->e_entry = KV + 0x10;
    test_elf_init(&f->roottask_elf, 2);
    test_elf_load(&f->roottask_elf, 0, 0x400000, 0x400000, 0x80, 0x2800);
    test_elf_load(&f->roottask_elf, 1, 0x403000, 0x403000, 0, 0x1200);
    test_ehdr(&f->roottask_elf)->e_entry = 0x400000;
    f->in.kernel = &f->kernel;
    f->in.roottask = &f->roottask;
    f->in.dtb_size = 0x1234;
    f->in.ram[0] = (struct mem_range)RAM_1G;
    f->in.nram = 1;
    f->in.loader = (struct mem_range){ 0x48000000, 0x48200000 };
}

/* Validates both images (they must be valid ELFs) and plans; returns the
 * planner's sentence, or "" if the plan was accepted. */
static const char *plan(struct fixture *f)
{
    char elf_err[ELF_ERR_LEN];
    if (elf_validate(&f->kernel, f->kernel_elf.bytes, f->kernel_elf.size, elf_err) != 0 ||
        elf_validate(&f->roottask, f->roottask_elf.bytes, f->roottask_elf.size, elf_err) != 0) {
        snprintf(f->err, sizeof f->err, "(test input is not a valid ELF: %s)", elf_err);
        return f->err;
    }
    if (plan_boot(&f->in, &f->plan, f->err) != 0)
        return f->err;
    return "";
}

static void plans_el1_kernel_dtb_and_roottask(void)
{
    struct fixture f;
    good(&f);
    CHECK_STR(plan(&f), "");
    CHECK(f.plan.flavour == KERNEL_EL1);
    CHECK_U64(f.plan.kernel_entry, KV + 0x10);
    CHECK_U64(f.plan.kernel_virt_offset, 0xffffff8000000000);
    CHECK_U64(f.plan.kernel_phys.start, 0x40000000);
    CHECK_U64(f.plan.kernel_phys.end, 0x40005000);
    CHECK_U64(f.plan.dtb_phys.start, 0x40005000);
    CHECK_U64(f.plan.dtb_phys.end, 0x40006234);
    CHECK_U64(f.plan.user_virt.start, 0x400000);
    CHECK_U64(f.plan.user_virt.end, 0x405000);
    CHECK_U64(f.plan.user_phys.start, 0x40007000);
    CHECK_U64(f.plan.user_phys.end, 0x4000c000);
    CHECK_U64(f.plan.user_pv_offset, 0x3fc07000);
    const uint64_t want[6] = { 0x40007000, 0x4000c000, 0x3fc07000, 0x400000, 0x40005000, 0x1234 };
    for (int i = 0; i < 6; i++)
        CHECK_U64(f.plan.handoff[i], want[i]);
    CHECK_U64(plan_user_paddr(&f.plan, 0x403000), 0x4000a000);
}

static void plans_without_dtb_and_with_negative_pv_offset(void)
{
    struct fixture f;
    good(&f);
    f.in.dtb_size = 0;
    CHECK_STR(plan(&f), "");
    CHECK_U64(f.plan.dtb_phys.start, 0);
    CHECK_U64(f.plan.dtb_phys.end, 0);
    CHECK_U64(f.plan.user_phys.start, 0x40005000);
    CHECK_U64(f.plan.handoff[4], 0);
    CHECK_U64(f.plan.handoff[5], 0);
    /* A root task linked above its physical home: x2 is phys - virt mod 2^64. */
    good(&f);
    test_elf_load(&f.roottask_elf, 0, 0x7f0000000000, 0x400000, 0x80, 0x2800);
    test_elf_load(&f.roottask_elf, 1, 0x7f0000003000, 0x403000, 0, 0x1200);
    test_ehdr(&f.roottask_elf)->e_entry = 0x7f0000000000;
    CHECK_STR(plan(&f), "");
    CHECK_U64(f.plan.handoff[2], UINT64_C(0x40007000) - UINT64_C(0x7f0000000000));
    CHECK_U64(plan_user_paddr(&f.plan, 0x7f0000003000), 0x4000a000);
}

static void plans_hyp_kernel_up_to_2_pow_48(void)
{
    struct fixture f;
    good(&f);
    test_elf_init(&f.kernel_elf, 1);
    test_elf_load(&f.kernel_elf, 0, 0x8060000000, 0x60000000, 0x80, 0x3000);
    test_ehdr(&f.kernel_elf)->e_entry = 0x8060000000;
    CHECK_STR(plan(&f), "");
    CHECK(f.plan.flavour == KERNEL_HYP);
    CHECK_U64(f.plan.kernel_virt_offset, 0x8000000000);
    CHECK_U64(f.plan.user_phys.start, 0x60005000);
    /* Ending exactly at 2^48 is still a 48-bit window. */
    test_elf_load(&f.kernel_elf, 0, 0xffffffe00000, 0x60000000, 0x80, 0x200000);
    test_ehdr(&f.kernel_elf)->e_entry = 0xffffffe00000;
    CHECK_STR(plan(&f), "");
    test_phdr(&f.kernel_elf, 0)->p_memsz = 0x200001;
    CHECK_STR(plan(&f), "kernel virtual range [0xffffffe00000..0x1000000000001) is neither a "
                        "48-bit hyp window nor upper-half");
}

static void refuses_kernel_layouts(void)
{
    struct fixture f;
    good(&f);
    f.in.nram = 0;
    CHECK_STR(plan(&f), "no RAM ranges known (no /memory node in the DTB)");

    good(&f);
    test_phdr(&f.kernel_elf, 1)->p_paddr = KP + 0x204000;
    CHECK_STR(plan(&f), "kernel segments do not share one virtual-physical offset "
                        "(0xffffff8000000000 vs 0xffffff7fffe00000)");

    good(&f);
    test_phdr(&f.kernel_elf, 1)->p_vaddr = 0x1000;
    test_phdr(&f.kernel_elf, 1)->p_paddr = 0x1000 - (KV - KP);
    CHECK_STR(plan(&f), "kernel entry 0xffffff8040000010 is in the upper half but its segments "
                        "start at 0x1000");

    good(&f);
    test_phdr(&f.kernel_elf, 0)->p_paddr += 0x1000;
    test_phdr(&f.kernel_elf, 1)->p_paddr += 0x1000;
    CHECK_STR(plan(&f), "kernel virtual-physical offset 0xffffff7ffffff000 is not a multiple of "
                        "2 MiB");

    good(&f);
    for (unsigned i = 0; i < 2; i++) {
        test_phdr(&f.kernel_elf, i)->p_vaddr += 0x800;
        test_phdr(&f.kernel_elf, i)->p_paddr += 0x800;
    }
    test_ehdr(&f.kernel_elf)->e_entry += 0x800;
    CHECK_STR(plan(&f), "kernel paddr 0x40000800 is not 4 KiB aligned");
}

static void refuses_kernel_outside_ram_or_on_loader(void)
{
    struct fixture f;
    good(&f);
    f.in.ram[0] = (struct mem_range){ 0x40000000, 0x40004000 };
    f.in.ram[1] = (struct mem_range){ 0x50000000, 0x60000000 };
    f.in.nram = 2;
    CHECK_STR(plan(&f), "kernel paddr [0x40000000..0x40005000) is outside RAM "
                        "[0x40000000..0x40004000) [0x50000000..0x60000000)");
    /* Two adjacent ranges are not one: a region must fit inside a single range. */
    f.in.ram[0] = (struct mem_range){ 0x40000000, 0x40003000 };
    f.in.ram[1] = (struct mem_range){ 0x40003000, 0x80000000 };
    CHECK_STR(plan(&f), "kernel paddr [0x40000000..0x40005000) is outside RAM "
                        "[0x40000000..0x40003000) [0x40003000..0x80000000)");
    f.in.ram[0] = (struct mem_range){ 0x3ffff000, 0x40005000 };
    f.in.nram = 1;
    f.in.dtb_size = 0;
    f.in.loader = (struct mem_range){ 0x3ffff000, 0x40000000 };   /* just below the kernel */
    test_phdr(&f.roottask_elf, 0)->p_memsz = 0;   /* ignored from now on */
    test_elf_load(&f.roottask_elf, 1, 0x400000, 0x400000, 0, 0x1);
    CHECK_STR(plan(&f), "roottask paddr [0x40005000..0x40006000) is outside RAM "
                        "[0x3ffff000..0x40005000)");

    good(&f);
    f.in.loader = (struct mem_range){ 0x40004fff, 0x40100000 };
    CHECK_STR(plan(&f), "kernel paddr [0x40000000..0x40005000) overlaps the loader "
                        "[0x40004fff..0x40100000)");

    /* A segment in the last page of the physical space: the page-rounded end
     * wraps to 0 and must not make [start..0) look like a range inside RAM. */
    good(&f);
    test_phdr(&f.kernel_elf, 1)->p_paddr = UINT64_C(0xfffffffffffff000);
    test_phdr(&f.kernel_elf, 1)->p_vaddr = UINT64_C(0xfffffffffffff000) + (KV - KP);
    test_phdr(&f.kernel_elf, 1)->p_memsz = 0x800;
    CHECK_STR(plan(&f), "kernel paddr [0x40000000..0x0) is outside RAM [0x40000000..0x80000000)");
}

static void refuses_dtb_placement(void)
{
    struct fixture f;
    good(&f);
    f.in.dtb_size = UINT64_C(0x100000000);
    CHECK_STR(plan(&f), "DTB size 4294967296 does not fit the 32-bit x5");
    f.in.dtb_size = UINT32_MAX;   /* fits x5; then it does not fit RAM */
    CHECK_STR(plan(&f), "DTB copy paddr [0x40005000..0x140004fff) is outside RAM "
                        "[0x40000000..0x80000000)");
    good(&f);
    f.in.ram[0].end = 0x40006000;
    CHECK_STR(plan(&f), "DTB copy paddr [0x40005000..0x40006234) is outside RAM "
                        "[0x40000000..0x40006000)");
    good(&f);
    f.in.loader = (struct mem_range){ 0x40005000, 0x40100000 };
    CHECK_STR(plan(&f), "DTB copy paddr [0x40005000..0x40006234) overlaps the loader "
                        "[0x40005000..0x40100000)");
}

static void refuses_roottask_placement(void)
{
    struct fixture f;
    good(&f);
    test_elf_load(&f.roottask_elf, 1, 0xfffffffff000, 0x403000, 0, 0x2000);
    CHECK_STR(plan(&f), "roottask virtual range [0x400000..0x1000000001000) is not in the lower "
                        "(user) half");
    /* Rounding the end up to a page would wrap to 0. */
    good(&f);
    test_elf_load(&f.roottask_elf, 1, UINT64_C(0xfffffffffffff000), 0x403000, 0, 0x800);
    CHECK_STR(plan(&f), "roottask virtual range [0x400000..0xfffffffffffff800) is not in the "
                        "lower (user) half");
    /* Ending exactly at 2^48 is allowed. */
    good(&f);
    test_elf_load(&f.roottask_elf, 1, 0xfffffffff000, 0x403000, 0, 0x1000);
    f.in.ram[0].end = UINT64_C(0x2000000000000);
    f.in.loader = (struct mem_range){ 0x30000000, 0x30100000 };
    CHECK_STR(plan(&f), "");
    CHECK_U64(f.plan.user_virt.end, UINT64_C(0x1000000000000));

    good(&f);
    f.in.ram[0].end = 0x4000b000;
    CHECK_STR(plan(&f), "roottask paddr [0x40007000..0x4000c000) is outside RAM "
                        "[0x40000000..0x4000b000)");
    good(&f);
    f.in.loader = (struct mem_range){ 0x4000bfff, 0x40100000 };
    CHECK_STR(plan(&f), "roottask paddr [0x40007000..0x4000c000) overlaps the loader "
                        "[0x4000bfff..0x40100000)");
    f.in.loader = (struct mem_range){ 0x4000c000, 0x40100000 };   /* adjacent: fine */
    CHECK_STR(plan(&f), "");
}

static void ram_list_is_cut_to_fit(void)
{
    struct fixture f;
    good(&f);
    f.in.nram = PLAN_MAX_RAM;
    char full[512] = "";
    size_t used = 0;
    for (unsigned i = 0; i < PLAN_MAX_RAM; i++) {
        f.in.ram[i] = (struct mem_range){ UINT64_C(0x1000000000) * (i + 1),
                                          UINT64_C(0x1000000000) * (i + 1) + 0x1000 };
        used += (size_t)snprintf(full + used, sizeof full - used, "%s[0x%llx..0x%llx)",
                                 i ? " " : "", (unsigned long long)f.in.ram[i].start,
                                 (unsigned long long)f.in.ram[i].end);
    }
    /* plan.c formats the list into 96 bytes: 95 characters survive. */
    full[95] = '\0';
    char want[PLAN_ERR_LEN];
    snprintf(want, sizeof want, "kernel paddr [0x40000000..0x40005000) is outside RAM %s", full);
    CHECK_STR(plan(&f), want);
}

const struct unit_test plan_tests[] = {
    { "plan: EL1 kernel, DTB and root task", plans_el1_kernel_dtb_and_roottask },
    { "plan: no DTB; negative pv offset", plans_without_dtb_and_with_negative_pv_offset },
    { "plan: hyp kernel up to 2^48", plans_hyp_kernel_up_to_2_pow_48 },
    { "plan: refuses kernel layouts", refuses_kernel_layouts },
    { "plan: refuses kernel outside RAM or on the loader", refuses_kernel_outside_ram_or_on_loader },
    { "plan: refuses DTB placement", refuses_dtb_placement },
    { "plan: refuses root task placement", refuses_roottask_placement },
    { "plan: RAM list is cut to fit", ram_list_is_cut_to_fit },
    { NULL, NULL },
};
