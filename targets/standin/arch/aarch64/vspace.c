#include "vspace.h"

#include "kassert.h"
#include "pagetable.h"
#include "power.h"
#include "sel4_abi.h"
#include "uart.h"

#define TABLE_ALIGN __attribute__((aligned(PT_PAGE_SIZE)))

/* The kernel's tables live in its own image (BSS, zeroed by the loader),
 * like seL4's armKSGlobalKernel* arrays, so nothing has to be allocated
 * before the kernel can print. */
static uint64_t kernel_level0[PT_ENTRIES] TABLE_ALIGN;
static uint64_t kernel_level1[PT_ENTRIES] TABLE_ALIGN;
static uint64_t kernel_device_level2[PT_ENTRIES] TABLE_ALIGN;
/* The GiB of the window that holds RAM, in 2 MiB blocks as seL4 maps its
 * whole window (armKSGlobalKernelPDs): a user access to kernel memory then
 * faults at level 2, so a fault message's FSR is the one seL4 reports. */
static uint64_t kernel_ram_level2[PT_ENTRIES] TABLE_ALIGN;
_Static_assert(RAM_START % PT_L1_BLOCK_SIZE == 0 && RAM_END - RAM_START <= PT_L1_BLOCK_SIZE,
               "RAM lies in one GiB of the kernel window");
static uint64_t kernel_device_level3[PT_ENTRIES] TABLE_ALIGN;
/* TTBR0 while the kernel runs before the root task exists: maps nothing, so
 * a stray lower-half access faults instead of hitting the loader's map. */
static uint64_t empty_user_level0[PT_ENTRIES] TABLE_ALIGN;

/* Kernel window attributes: normal memory, kernel-only, never user-executable.
 * Global (no nG): the window is the same in every address space. */
#define KERNEL_WINDOW_BLOCK (PTE_VALID | PTE_TYPE_BLOCK | PTE_LEAF_NORMAL | PTE_AP_RW_EL1 | PTE_UXN)
#define KERNEL_DEVICE_PAGE  (PTE_VALID | PTE_PAGE | PTE_LEAF_DEVICE | PTE_AP_RW_EL1)

static uint64_t table_descriptor(const uint64_t *table)
{
    return kptr_to_paddr(table) | PTE_TYPE_TABLE;
}

static void build_kernel_tables(void)
{
    kernel_level0[PT_INDEX(PPTR_BASE, 0)] = table_descriptor(kernel_level1);

    /* PA [0, PADDR_TOP) in 1 GiB blocks from PPTR_BASE up to PPTR_TOP: the
     * kernel image, the DTB and every root-server object are reached here.
     * Like seL4's window it covers device space too, as normal memory; the
     * kernel touches devices only through the device page below. */
    for (uint64_t paddr = 0; paddr < PADDR_TOP; paddr += PT_L1_BLOCK_SIZE)
        kernel_level1[PT_INDEX(PPTR_BASE + paddr, 1)] = paddr | KERNEL_WINDOW_BLOCK;
    for (uint64_t paddr = RAM_START; paddr < RAM_START + PT_L1_BLOCK_SIZE; paddr += PT_L2_BLOCK_SIZE)
        kernel_ram_level2[PT_INDEX(PPTR_BASE + paddr, 2)] = paddr | KERNEL_WINDOW_BLOCK;
    kernel_level1[PT_INDEX(PPTR_BASE + RAM_START, 1)] = table_descriptor(kernel_ram_level2);

    /* The last GiB of the address space holds the device page(s). */
    kernel_level1[PT_INDEX(KDEV_BASE, 1)] = table_descriptor(kernel_device_level2);
    kernel_device_level2[PT_INDEX(KDEV_BASE, 2)] = table_descriptor(kernel_device_level3);
    kernel_device_level3[PT_INDEX(UART_VADDR, 3)] = UART_PADDR | KERNEL_DEVICE_PAGE;
#if MAX_NUM_NODES > 1
    kernel_device_level3[PT_INDEX(GICD_VADDR, 3)] = GICD_PADDR | KERNEL_DEVICE_PAGE;
    kernel_device_level3[PT_INDEX(GICC_VADDR, 3)] = GICC_PADDR | KERNEL_DEVICE_PAGE;
#endif
}

void vspace_activate_kernel(void)
{
    if (MAX_NUM_NODES == 1 || kernel_level0[PT_INDEX(PPTR_BASE, 0)] == 0)
        build_kernel_tables();
    uint64_t ttbr1 = kptr_to_paddr(kernel_level0);
    uint64_t ttbr0 = kptr_to_paddr(empty_user_level0);
    /* The new TTBR1 maps the running code at the loader's VA->PA, so execution
     * continues across the switch; the TLB flush drops the loader's translations. */
    __asm__ volatile(
        "dsb ishst\n"
        "msr ttbr1_el1, %0\n"
        "msr ttbr0_el1, %1\n"
        "isb\n"
        "tlbi vmalle1\n"
        "dsb ish\n"
        "isb\n"
        : : "r"(ttbr1), "r"(ttbr0) : "memory");
}

static uint64_t *next_table(uint64_t entry)
{
    /* Callers link every table before they use it; following an empty
     * entry would scribble on physical page 0's neighbourhood instead. */
    if ((entry & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
        kprintf("stand-in: kernel bug: user page-table walk hit a non-table entry 0x%lx, halting\n",
                (unsigned long)entry);
        power_off();
    }
    return paddr_to_kptr(entry & PTE_ADDR_MASK);
}

void user_vspace_link_table(uint64_t *root, uint64_t vaddr, unsigned level, uint64_t *table)
{
    uint64_t *parent = root;
    for (unsigned l = 0; l + 1 < level; l++)
        parent = next_table(parent[PT_INDEX(vaddr, l)]);
    parent[PT_INDEX(vaddr, level - 1)] = table_descriptor(table);
}

void user_vspace_map_frame(uint64_t *root, uint64_t vaddr, uint64_t paddr,
                           enum user_frame_rights rights)
{
    /* The same guard seL4's frame-entry constructor has in its debug build. */
    if ((paddr & ~PTE_ADDR_MASK) != 0)
        kassert_failed(SEL4_FRAME_ALIGN_CONDITION, __FILE__, __LINE__, SEL4_FRAME_ASSERT_FUNCTION);

    uint64_t *table = root;
    for (unsigned l = 0; l < 3; l++)
        table = next_table(table[PT_INDEX(vaddr, l)]);

    uint64_t pte = paddr | PTE_VALID | PTE_PAGE | PTE_LEAF_NORMAL | PTE_AP_RW_ALL | PTE_NG | PTE_PXN;
    if (rights == USER_FRAME_RW_XN)
        pte |= PTE_UXN;
    table[PT_INDEX(vaddr, 3)] = pte;
}

void user_vspace_switch(uint64_t vspace_paddr, unsigned asid)
{
    uint64_t ttbr0 = vspace_paddr | ((uint64_t)asid << 48);
    /* A full flush keeps the stand-in simple; ASIDs alone would suffice. */
    __asm__ volatile(
        "dsb ishst\n"
        "msr ttbr0_el1, %0\n"
        "isb\n"
        "tlbi vmalle1\n"
        "dsb ish\n"
        "isb\n"
        : : "r"(ttbr0) : "memory");
}

void user_vspace_activate(uint64_t *root)
{
    user_vspace_switch(kptr_to_paddr(root), ROOT_TASK_ASID);
}

uint64_t *user_vspace_lookup_slot(uint64_t *root, uint64_t vaddr, unsigned *bits_left)
{
    uint64_t *table = root;
    unsigned level = 0;
    uint64_t *slot = &table[PT_INDEX(vaddr, 0)];
    while (level < 3 && (*slot & PTE_TYPE_MASK) == PTE_TYPE_TABLE) {
        table = paddr_to_kptr(*slot & PTE_ADDR_MASK);
        level++;
        slot = &table[PT_INDEX(vaddr, level)];
    }
    *bits_left = PT_LEVEL_SHIFT(level);
    return slot;
}

uint64_t user_table_entry(uint64_t table_paddr)
{
    return table_paddr | PTE_TYPE_TABLE;
}

uint64_t user_page_entry(uint64_t paddr, enum user_vm_rights rights, int cacheable,
                         int execute_never)
{
    static const uint64_t ap[] = { PTE_AP_RW_EL1, PTE_AP_RO_ALL, PTE_AP_RW_ALL };
    uint64_t pte = paddr | PTE_VALID | PTE_PAGE | PTE_NG | PTE_PXN | ap[rights];
    pte |= cacheable ? PTE_LEAF_NORMAL : (PTE_AF | PTE_ATTRINDX(MAIR_IDX_DEVICE_nGnRnE));
    if (execute_never)
        pte |= PTE_UXN;
    return pte;
}

void user_vspace_write_entry(uint64_t *slot, uint64_t entry)
{
    *slot = entry;
    __asm__ volatile(
        "dsb ishst\n"
        "tlbi vmalle1\n"
        "dsb ish\n"
        "isb\n"
        : : : "memory");
}

uint64_t asid_pool_paddr;

int user_vspace_read_word(uint64_t *root, uint64_t vaddr, uint64_t *value)
{
    unsigned bits_left;
    uint64_t entry = *user_vspace_lookup_slot(root, vaddr, &bits_left);
    int valid = entry & 1, table = (entry & 2) != 0;
    if (!valid || (table && bits_left > SEL4_PAGE_BITS))
        return 0;
    uint64_t size_mask = (UINT64_C(1) << bits_left) - 1;
    uint64_t frame = entry & UINT64_C(0x0000fffffffff000) & ~size_mask;
    *value = *(const uint64_t *)paddr_to_kptr(frame + (vaddr & size_mask));
    return 1;
}
