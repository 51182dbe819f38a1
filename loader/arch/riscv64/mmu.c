#include "mmu.h"

#include "console.h"

#define PTE_V  (1u << 0)
#define PTE_R  (1u << 1)
#define PTE_W  (1u << 2)
#define PTE_X  (1u << 3)
#define PTE_A  (1u << 6)
#define PTE_D  (1u << 7)
/* Kernel leaves: readable, writable, executable, accessed and dirty set so
 * no hart ever needs to update them (as seL4's elfloader maps them). */
#define PTE_LEAF_RWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define PTE_PPN_SHIFT 10

#define SV39_VA_BITS 39
#define GIB (UINT64_C(1) << 30)
#define MIB2 (UINT64_C(1) << 21)

/* Zero-filled in the image file (.data.pagetables is loaded, not .bss), as
 * the AArch64 loader's boot map is a constant table: the firmware's load of
 * the image clears them, and the loader writes only the entries it uses. */
static uint64_t root_table[512] __attribute__((aligned(4096), section(".data.pagetables")));
static uint64_t kernel_l2[512] __attribute__((aligned(4096), section(".data.pagetables")));

static uint64_t pte(uint64_t phys, uint64_t bits)
{
    return (phys >> 12) << PTE_PPN_SHIFT | bits;
}

static unsigned vpn2(uint64_t va)
{
    return (unsigned)((va >> 30) & 511);
}

static unsigned vpn1(uint64_t va)
{
    return (unsigned)((va >> 21) & 511);
}

/* Sv39: bits 63..39 must all equal bit 38. */
static int sv39_canonical(uint64_t va)
{
    uint64_t top = va >> (SV39_VA_BITS - 1);
    return top == 0 || top == (UINT64_MAX >> (SV39_VA_BITS - 1));
}

uint64_t mmu_build_handoff(const struct boot_plan *plan, struct mem_range loader)
{
    uint64_t vstart = plan->kernel_phys.start + plan->kernel_virt_offset;
    uint64_t vlast = plan->kernel_phys.end - 1 + plan->kernel_virt_offset;
    if (!sv39_canonical(vstart) || !sv39_canonical(vlast))
        loader_fail("kernel virtual range [0x%lx..0x%lx] is not an Sv39 address (bits 63..39 must"
                    " equal bit 38)", (unsigned long)vstart, (unsigned long)vlast);
    if (vpn2(vstart) != vpn2(vlast))
        loader_fail("kernel virtual range [0x%lx..0x%lx] crosses a 1 GiB boundary; the loader maps"
                    " it with one table of 2 MiB pages", (unsigned long)vstart, (unsigned long)vlast);
    if (vpn2(vstart) == vpn2(loader.start) || vpn2(loader.start) != vpn2(loader.end - 1))
        loader_fail("the loader [0x%lx..0x%lx) cannot be identity-mapped beside the kernel window"
                    " at 0x%lx", (unsigned long)loader.start, (unsigned long)loader.end,
                    (unsigned long)vstart);

    root_table[vpn2(loader.start)] = pte(loader.start & ~(GIB - 1), PTE_LEAF_RWX);
    root_table[vpn2(vstart)] = pte((uintptr_t)kernel_l2, PTE_V);
    uint64_t pstart = plan->kernel_phys.start & ~(MIB2 - 1);
    for (uint64_t va = vstart & ~(MIB2 - 1), pa = pstart; va <= vlast; va += MIB2, pa += MIB2)
        kernel_l2[vpn1(va)] = pte(pa, PTE_LEAF_RWX);
    return SATP_MODE_SV39 | ((uintptr_t)root_table >> 12);
}
