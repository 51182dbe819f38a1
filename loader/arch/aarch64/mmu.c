/* Translation tables built by the loader. All descriptor bits come from
 * common/pagetable.h, which the host-side table walker also uses. */
#include "mmu.h"

#include "../../common/pagetable.h"
#include "../../common/qemu_virt.h"
#include "mutations.h"
#include "enter.h"
#include "power.h"
#include "sysreg.h"

#define PT_POOL_TABLES 32

static uint64_t pt_pool[PT_POOL_TABLES][PT_ENTRIES]
    __attribute__((aligned(PT_PAGE_SIZE), section(".noinit.pagetables")));
static unsigned pt_pool_used;

static uint64_t *pt_alloc(void)
{
    if (pt_pool_used == PT_POOL_TABLES)
        loader_fail("out of page-table memory (%u tables)", PT_POOL_TABLES);
    /* Every table is allocated with the MMU on (the boot map is built by the
     * compiler), so the fast SIMD zero loop may be used. */
    uint64_t *t = pt_pool[pt_pool_used++];
    load_zero(t, sizeof pt_pool[0]);
    return t;
}

/* The table holding the level-leaf_level entry for va, creating the tables
 * above it as needed. */
static uint64_t *pt_leaf_table(uint64_t *root, uint64_t va, unsigned leaf_level)
{
    uint64_t *table = root;
    for (unsigned lvl = 0; lvl < leaf_level; lvl++) {
        uint64_t *e = &table[PT_INDEX(va, lvl)];
        if ((*e & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
            if (*e != 0)
                loader_fail("page-table conflict: VA 0x%lx is already mapped by a block",
                            (unsigned long)va);
            *e = (uint64_t)(uintptr_t)pt_alloc() | PTE_TYPE_TABLE;
        }
        table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK);
    }
    return table;
}

/* Maps [va, va + size) to pa with leaf entries at leaf_level (1: 1 GiB
 * blocks, 2: 2 MiB blocks). All three values must be leaf-size aligned. */
static void pt_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t size,
                   uint64_t attrs, unsigned leaf_level)
{
    uint64_t step = PT_LEVEL_SIZE(leaf_level);
    uint64_t *table = root;
    for (uint64_t off = 0; off < size; off += step) {
        /* Within one leaf table the entries are consecutive: walk down from
         * the root only when entering a new one. */
        if (off == 0 || PT_INDEX(va + off, leaf_level) == 0)
            table = pt_leaf_table(root, va + off, leaf_level);
        uint64_t want = ((pa + off) & PTE_ADDR_MASK) | attrs | PTE_TYPE_BLOCK;
        uint64_t *leaf = &table[PT_INDEX(va + off, leaf_level)];
        if (*leaf != 0 && *leaf != want)
            loader_fail("page-table conflict at VA 0x%lx: 0x%lx vs 0x%lx",
                        (unsigned long)(va + off), (unsigned long)*leaf, (unsigned long)want);
        *leaf = want;
    }
}

static uint64_t pa_range_bits(void)
{
    uint64_t parange = sysreg_read(ID_AA64MMFR0_EL1) & 0xf;
    return parange > 5 ? 5 : parange;   /* 52-bit PA needs LPA2/64K; not used */
}

/* The boot map is the same on every boot, so the compiler builds it: GiB 0
 * (UART, GIC, flash) as Device, every other GiB of the first 512 as Normal
 * write-back, in 1 GiB blocks of one level-1 table under one level-0 entry.
 * Loading runs with caches on through it; it costs no instruction at boot.
 * BOOT_GIBSn(i) expands to the n entries for GiB i, i + 1, ... */
#define BOOT_GIB(i)        (((uint64_t)(i) << 30) | PTE_LEAF_NORMAL | PTE_TYPE_BLOCK)
#define BOOT_GIBS2(i)      BOOT_GIB(i), BOOT_GIB((i) + 1)
#define BOOT_GIBS4(i)      BOOT_GIBS2(i), BOOT_GIBS2((i) + 2)
#define BOOT_GIBS8(i)      BOOT_GIBS4(i), BOOT_GIBS4((i) + 4)
#define BOOT_GIBS16(i)     BOOT_GIBS8(i), BOOT_GIBS8((i) + 8)
#define BOOT_GIBS32(i)     BOOT_GIBS16(i), BOOT_GIBS16((i) + 16)
#define BOOT_GIBS64(i)     BOOT_GIBS32(i), BOOT_GIBS32((i) + 32)
#define BOOT_GIBS128(i)    BOOT_GIBS64(i), BOOT_GIBS64((i) + 64)
#define BOOT_GIBS256(i)    BOOT_GIBS128(i), BOOT_GIBS128((i) + 128)

static const uint64_t boot_l1[PT_ENTRIES] __attribute__((aligned(PT_PAGE_SIZE))) = {
    (UINT64_C(0) << 30) | PTE_LEAF_DEVICE | PTE_TYPE_BLOCK,
    BOOT_GIB(1), BOOT_GIBS2(2), BOOT_GIBS4(4), BOOT_GIBS8(8), BOOT_GIBS16(16), BOOT_GIBS32(32),
    BOOT_GIBS64(64), BOOT_GIBS128(128), BOOT_GIBS256(256),
};
_Static_assert(PT_L1_BLOCK_SIZE == UINT64_C(1) << 30, "boot_l1 holds 1 GiB blocks");

static const uint64_t boot_l0[PT_ENTRIES] __attribute__((aligned(PT_PAGE_SIZE))) = {
    (uint64_t)(uintptr_t)boot_l1 + PTE_TYPE_TABLE,
};

void mmu_enable_boot_map(void)
{
    const uint64_t *root = boot_l0;
    uint64_t tcr0 = TCR_T0SZ(64 - PT_VA_BITS) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA |
                    TCR_SH0_INNER | TCR_TG0_4K;
    if (current_el() == 2) {
        sysreg_write(mair_el2, MAIR_VALUE);
        sysreg_write(tcr_el2, tcr0 | TCR_EL2_RES1 | (pa_range_bits() << TCR_EL2_PS_SHIFT));
        sysreg_write(ttbr0_el2, (uintptr_t)root);
        isb();
        __asm__ volatile("tlbi alle2\n dsb sy\n isb" ::: "memory");
        sysreg_write(sctlr_el2, SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA);
    } else {
        sysreg_write(mair_el1, MAIR_VALUE);
        sysreg_write(tcr_el1, tcr0 | TCR_EPD1 | TCR_TG1_4K |
                                  (pa_range_bits() << TCR_EL1_IPS_SHIFT));
        sysreg_write(ttbr0_el1, (uintptr_t)root);
        isb();
        __asm__ volatile("tlbi vmalle1\n dsb sy\n isb" ::: "memory");
        sysreg_write(sctlr_el1, SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA |
                                    SCTLR_SA0);
    }
    isb();
}

static void map_identity(uint64_t *root, struct mem_range loader)
{
    uint64_t start = PLAN_ROUND_DOWN(loader.start, PT_L2_BLOCK_SIZE);
    uint64_t end = PLAN_ROUND_UP(loader.end, PT_L2_BLOCK_SIZE);
    pt_map(root, start, start, end - start, PTE_LEAF_NORMAL, 2);
    uint64_t uart = PLAN_ROUND_DOWN(VIRT_UART_BASE, PT_L2_BLOCK_SIZE);
    pt_map(root, uart, uart, PT_L2_BLOCK_SIZE, PTE_LEAF_DEVICE, 2);
}

static void map_kernel_window(uint64_t *root, const struct boot_plan *plan)
{
    uint64_t vstart = PLAN_ROUND_DOWN(plan->kernel_phys.start + plan->kernel_virt_offset,
                                      PT_L2_BLOCK_SIZE);
    uint64_t vend = PLAN_ROUND_UP(plan->kernel_phys.end + plan->kernel_virt_offset,
                                  PT_L2_BLOCK_SIZE);
#ifdef BC_MUTATE_KERNEL_DEVICE
    uint64_t attrs = (PTE_LEAF_NORMAL & ~PTE_ATTRINDX_MASK) | PTE_ATTRINDX(MAIR_IDX_DEVICE_nGnRnE);
#else
    uint64_t attrs = PTE_LEAF_NORMAL;
#endif
    pt_map(root, vstart, vstart - plan->kernel_virt_offset, vend - vstart, attrs, 2);
}

void mmu_build_handoff(const struct boot_plan *plan, struct mem_range loader,
                       struct handoff_regs *r)
{
    uint64_t *identity = pt_alloc();
    map_identity(identity, loader);
    r->mair = MAIR_VALUE;
    r->ttbr0 = (uintptr_t)identity;
    if (plan->flavour == KERNEL_HYP) {
        map_kernel_window(identity, plan);
        r->ttbr1 = 0;
        r->tcr = TCR_EL2_SEL4_HYP;
        r->sctlr = SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA;
    } else {
        uint64_t *kernel = pt_alloc();
        map_kernel_window(kernel, plan);
        r->ttbr1 = (uintptr_t)kernel;
        r->tcr = TCR_T0SZ(64 - PT_VA_BITS) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |
                 TCR_TG0_4K | TCR_T1SZ(64 - PT_VA_BITS) | TCR_IRGN1_WBWA | TCR_ORGN1_WBWA |
                 TCR_SH1_INNER | TCR_TG1_4K | (pa_range_bits() << TCR_EL1_IPS_SHIFT) |
                 TCR_EL1_AS;
        r->sctlr = SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA | SCTLR_SA0;
    }
#ifdef BC_MUTATE_CACHES_OFF
    r->sctlr &= ~SCTLR_C;
#endif
    dsb_sy();
}
