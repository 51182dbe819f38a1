#include "vspace.h"

#include "power.h"
#include "uart.h"

#define PT_ENTRIES      512
#define PTE_V           (1u << 0)
#define PTE_R           (1u << 1)
#define PTE_W           (1u << 2)
#define PTE_X           (1u << 3)
#define PTE_U           (1u << 4)
#define PTE_G           (1u << 5)
#define PTE_A           (1u << 6)
#define PTE_D           (1u << 7)
#define PTE_PPN_SHIFT   10
#define PTE_LEAF_BITS   (PTE_R | PTE_W | PTE_X)
#define SATP_MODE_SV39  (UINT64_C(8) << 60)
#define SATP_ASID_SHIFT 44
#define GIB             (UINT64_C(1) << 30)

/* Index of vaddr in a table of level 0 (root, 1 GiB entries), 1 or 2. */
static unsigned pt_index(uint64_t vaddr, unsigned level)
{
    return (unsigned)(vaddr >> (30 - 9 * level)) & (PT_ENTRIES - 1);
}

static uint64_t pte_for(uint64_t paddr, uint64_t bits)
{
    return ((paddr >> 12) << PTE_PPN_SHIFT) | bits;
}

static uint64_t pte_paddr(uint64_t pte)
{
    return (pte >> PTE_PPN_SHIFT) << 12;
}

static void satp_write(uint64_t root_paddr, unsigned asid)
{
    uint64_t satp = SATP_MODE_SV39 | ((uint64_t)asid << SATP_ASID_SHIFT) | (root_paddr >> 12);
    __asm__ volatile("sfence.vma\n csrw satp, %0\n sfence.vma" : : "r"(satp) : "memory");
}

/* In the image's BSS (zeroed by the loader), like seL4's kernel_root_pageTable. */
static uint64_t kernel_root[PT_ENTRIES] __attribute__((aligned(4096)));

/* Kernel mappings: global, accessed and dirty set (no A/D faults in the kernel). */
#define KERNEL_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D)

void vspace_activate_kernel(void)
{
    /* PA [0, PADDR_TOP) in 1 GiB pages from PPTR_BASE (seL4's window),
     * then the GiB holding the kernel image again at PPTR_TOP, where the
     * image is linked and runs. */
    for (uint64_t paddr = 0; paddr < PADDR_TOP; paddr += GIB)
        kernel_root[pt_index(PPTR_BASE + paddr, 0)] = pte_for(paddr, KERNEL_LEAF);
    kernel_root[pt_index(PPTR_TOP, 0)] = pte_for(KERNEL_ELF_WINDOW_PADDR, KERNEL_LEAF);
    satp_write(kimg_to_paddr(kernel_root), 0);
}

void user_vspace_copy_global(uint64_t *root)
{
    for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
        root[i] = kernel_root[i];
}

static uint64_t *next_table(uint64_t entry)
{
    /* Callers link every table before they use it. */
    if ((entry & PTE_V) == 0 || (entry & PTE_LEAF_BITS) != 0) {
        kprintf("stand-in: kernel bug: user page-table walk hit a non-table entry 0x%lx, halting\n",
                (unsigned long)entry);
        power_off();
    }
    return paddr_to_kptr(pte_paddr(entry));
}

void user_vspace_link_table(uint64_t *root, uint64_t vaddr, unsigned level, uint64_t *table)
{
    uint64_t *parent = root;
    for (unsigned l = 0; l + 1 < level; l++)
        parent = next_table(parent[pt_index(vaddr, l)]);
    parent[pt_index(vaddr, level - 1)] = pte_for(kptr_to_paddr(table), PTE_V);
}

void user_vspace_map_frame(uint64_t *root, uint64_t vaddr, uint64_t paddr,
                           enum user_frame_rights rights)
{
    uint64_t *table = root;
    for (unsigned l = 0; l < 2; l++)
        table = next_table(table[pt_index(vaddr, l)]);
    uint64_t bits = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
    if (rights == USER_FRAME_RWX)
        bits |= PTE_X;
    /* A frame address with low bits set loses them here, as in seL4's
     * pte_new (the PPN field holds paddr >> 12): no assertion on RISC-V. */
    table[pt_index(vaddr, 2)] = pte_for(paddr, bits);
}

uint64_t asid_pool_paddr;

void user_vspace_activate(uint64_t *root)
{
    satp_write(kptr_to_paddr(root), ROOT_TASK_ASID);
}

uint64_t *user_vspace_lookup_slot(uint64_t *root, uint64_t vaddr, unsigned *bits_left)
{
    uint64_t *slot = &root[pt_index(vaddr, 0)];
    unsigned level = 0;
    while (level < 2 && (*slot & PTE_V) != 0 && (*slot & PTE_LEAF_BITS) == 0) {
        uint64_t *table = paddr_to_kptr(pte_paddr(*slot));
        level++;
        slot = &table[pt_index(vaddr, level)];
    }
    *bits_left = 30 - 9 * level;
    return slot;
}

/* seL4's setVMRoot: a thread whose VSpace cap is not the root its ASID
 * names runs on the kernel's table (ASID 0), so it faults on any user
 * access instead of running without the kernel's mappings. */
void user_vspace_switch(uint64_t vspace_paddr, unsigned asid)
{
    const uint64_t *pool = asid_pool_paddr ? paddr_to_kptr(asid_pool_paddr) : 0;
    if (pool == 0 || asid == 0 || asid >= PT_ENTRIES ||
        pool[asid] != (uint64_t)(uintptr_t)paddr_to_kptr(vspace_paddr)) {
        satp_write(kimg_to_paddr(kernel_root), 0);
        return;
    }
    satp_write(vspace_paddr, asid);
}

int user_pte_is_table(uint64_t entry)
{
    return (entry & PTE_V) != 0 && (entry & PTE_LEAF_BITS) == 0;
}

uint64_t user_table_entry(uint64_t table_paddr)
{
    return pte_for(table_paddr, PTE_V);
}

uint64_t user_page_entry(uint64_t paddr, enum user_vm_rights rights, int executable)
{
    uint64_t bits = PTE_V | PTE_U | PTE_A | PTE_D;
    if (rights != VM_KERNEL_ONLY)
        bits |= PTE_R;
    if (rights == VM_READ_WRITE)
        bits |= PTE_W;
    if (executable)
        bits |= PTE_X;
    if ((bits & PTE_LEAF_BITS) == 0)
        return 0;
    return pte_for(paddr, bits);
}

uint64_t user_pte_paddr(uint64_t entry)
{
    return pte_paddr(entry);
}

void user_vspace_write_entry(uint64_t *slot, uint64_t entry)
{
    *slot = entry;
    __asm__ volatile("sfence.vma" : : : "memory");
}

int user_vspace_read_word(uint64_t *root, uint64_t vaddr, uint64_t *value)
{
    unsigned bits_left;
    uint64_t entry = *user_vspace_lookup_slot(root, vaddr, &bits_left);
    if ((entry & PTE_V) == 0 || user_pte_is_table(entry))
        return 0;
    uint64_t size_mask = (UINT64_C(1) << bits_left) - 1;
    *value = *(const uint64_t *)paddr_to_kptr(pte_paddr(entry) + (vaddr & size_mask));
    return 1;
}
