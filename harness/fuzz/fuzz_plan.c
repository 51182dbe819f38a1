/* Fuzz target: the placement planner (loader/common/plan.c) on two untrusted
 * ELFs and untrusted machine facts. Input layout (little-endian u64s, see
 * plan_input.py which writes the seeds):
 *   kernel_len, dtb_size, nram, loader.start, loader.end,
 *   PLAN_MAX_RAM x (start, end), then kernel_len bytes of kernel ELF and the
 *   rest as the root task ELF.
 * A plan it accepts is checked against seL4's rules, independently of how
 * plan.c computes it. */
#include "fuzz_check.h"

#include "../../loader/common/elf.h"
#include "../../loader/common/plan.h"

#define HEADER_U64S (5 + 2 * PLAN_MAX_RAM)

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int inside_one_ram(const struct plan_inputs *in, struct mem_range r)
{
    for (unsigned i = 0; i < in->nram; i++)
        if (in->ram[i].start <= r.start && r.start <= r.end && r.end <= in->ram[i].end)
            return 1;
    return 0;
}

static int disjoint(struct mem_range a, struct mem_range b)
{
    return a.end <= b.start || b.end <= a.start;
}

/* Each ELF gets its own exact-size copy, so ASan sees a read past either. */
static uint8_t *copy_of(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (c == NULL)
        abort();
    memcpy(c, p, n);
    return c;
}

static void check_region(const struct plan_inputs *in, const char *what, struct mem_range r)
{
    FUZZ_REQUIRE(r.start <= r.end, "%s range reversed", what);
    FUZZ_REQUIRE(inside_one_ram(in, r), "%s [0x%llx..0x%llx) not inside one RAM range", what,
                 (unsigned long long)r.start, (unsigned long long)r.end);
    FUZZ_REQUIRE(disjoint(r, in->loader), "%s overlaps the loader", what);
}

static void check_plan(const struct plan_inputs *in, const struct boot_plan *p)
{
    const struct elf_image *k = in->kernel, *u = in->roottask;
    check_region(in, "kernel", p->kernel_phys);
    check_region(in, "roottask", p->user_phys);
    FUZZ_REQUIRE(p->kernel_phys.start % PLAN_PAGE == 0 && p->kernel_phys.end % PLAN_PAGE == 0,
                 "kernel range not page-aligned");
    FUZZ_REQUIRE(p->user_phys.start % PLAN_PAGE == 0 && p->user_phys.end % PLAN_PAGE == 0,
                 "roottask range not page-aligned");
    /* seL4 order: kernel, then the DTB on the next byte, then the user image. */
    uint64_t next = p->kernel_phys.end;
    if (in->dtb_size > 0) {
        check_region(in, "DTB", p->dtb_phys);
        FUZZ_REQUIRE(p->dtb_phys.start == p->kernel_phys.end &&
                     p->dtb_phys.end - p->dtb_phys.start == in->dtb_size, "DTB misplaced");
        next = p->dtb_phys.end;
    }
    FUZZ_REQUIRE(p->user_phys.start >= next && p->user_phys.start - next < PLAN_PAGE,
                 "roottask not on the page after the previous region");
    FUZZ_REQUIRE(p->user_phys.end - p->user_phys.start == p->user_virt.end - p->user_virt.start,
                 "roottask physical and virtual sizes differ");
    for (unsigned n = 0; n < k->nload; n++) {
        struct elf_segment s;
        elf_segment_get(k, n, &s);
        FUZZ_REQUIRE(s.paddr >= p->kernel_phys.start && s.paddr + s.memsz <= p->kernel_phys.end,
                     "kernel segment %u outside the kernel range", n);
        FUZZ_REQUIRE(s.vaddr - s.paddr == p->kernel_virt_offset, "kernel offset differs");
    }
    for (unsigned n = 0; n < u->nload; n++) {
        struct elf_segment s;
        elf_segment_get(u, n, &s);
        uint64_t dest = plan_user_paddr(p, s.vaddr);
        FUZZ_REQUIRE(dest >= p->user_phys.start && s.memsz <= p->user_phys.end - dest &&
                     dest <= p->user_phys.end, "roottask segment %u lands outside its range", n);
    }
    const uint64_t want[6] = { p->user_phys.start, p->user_phys.end, p->user_pv_offset, u->entry,
                               in->dtb_size ? p->dtb_phys.start : 0, in->dtb_size };
    for (int i = 0; i < 6; i++)
        FUZZ_REQUIRE(p->handoff[i] == want[i], "x%d 0x%llx, want 0x%llx", i,
                     (unsigned long long)p->handoff[i], (unsigned long long)want[i]);
    FUZZ_REQUIRE(p->handoff[5] <= UINT32_MAX, "x5 does not fit 32 bits");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_U64S * 8)
        return 0;
    uint64_t h[HEADER_U64S];
    for (int i = 0; i < HEADER_U64S; i++)
        h[i] = le64(data + 8 * i);
    const uint8_t *elves = data + HEADER_U64S * 8;
    size_t elves_len = size - HEADER_U64S * 8;
    size_t kernel_len = (size_t)(h[0] % ((uint64_t)elves_len + 1));

    struct plan_inputs in;
    memset(&in, 0, sizeof in);
    in.dtb_size = h[1];
    in.nram = (unsigned)(h[2] % (PLAN_MAX_RAM + 1));
    in.loader.start = h[3];
    in.loader.end = h[4];
    for (int i = 0; i < PLAN_MAX_RAM; i++) {
        in.ram[i].start = h[5 + 2 * i];
        in.ram[i].end = h[6 + 2 * i];
    }

    uint8_t *kbytes = copy_of(elves, kernel_len);
    uint8_t *ubytes = copy_of(elves + kernel_len, elves_len - kernel_len);
    struct elf_image kernel, roottask;
    char err[PLAN_ERR_LEN];
    if (elf_validate(&kernel, kbytes, kernel_len, err) == 0 &&
        elf_validate(&roottask, ubytes, elves_len - kernel_len, err) == 0) {
        in.kernel = &kernel;
        in.roottask = &roottask;
        struct boot_plan plan;
        if (plan_boot(&in, &plan, err) == 0)
            check_plan(&in, &plan);
        else
            FUZZ_REQUIRE_MESSAGE(err, sizeof err);
    }
    free(kbytes);
    free(ubytes);
    return 0;
}
