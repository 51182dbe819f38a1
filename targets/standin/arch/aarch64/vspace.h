/* Page tables: the kernel's own (TTBR1: kernel window + device page) and the
 * root task's (TTBR0), all 4 KiB granule, 48-bit VA, MAIR indices as the
 * loader set them (pagetable.h). */
#ifndef STANDIN_VSPACE_H
#define STANDIN_VSPACE_H

#include <stdint.h>

#include "config.h"

/* Kernel-window conversions (valid for PA < PADDR_TOP). */
static inline void *paddr_to_kptr(uint64_t paddr)
{
    return (void *)(uintptr_t)(paddr + PPTR_BASE);
}
static inline uint64_t kptr_to_paddr(const void *kptr)
{
    return (uint64_t)(uintptr_t)kptr - PPTR_BASE;
}

/* Builds the kernel tables and switches TTBR1 (and an empty TTBR0) to them.
 * Runs first in init_kernel: the loader's TTBR0 identity map must not be
 * relied on, and the UART is reachable only afterwards. With SMP every core
 * runs it (seL4's init_cpu); only the first builds the tables, the others
 * find them built. */
void vspace_activate_kernel(void);

/* Links an empty, zeroed table (at kernel pointer `table`) into the user
 * VSpace rooted at `root` so that it translates `vaddr` at `level` (1..3).
 * The entries of the levels above must already be present. */
void user_vspace_link_table(uint64_t *root, uint64_t vaddr, unsigned level, uint64_t *table);

enum user_frame_rights {
    USER_FRAME_RWX,   /* root task image */
    USER_FRAME_RW_XN, /* IPC buffer, BootInfo, extra BootInfo */
};

/* Maps the 4 KiB frame at `paddr` at user `vaddr` (nG, Normal WB, EL0
 * accessible). The level-3 table covering vaddr must be linked already. */
void user_vspace_map_frame(uint64_t *root, uint64_t vaddr, uint64_t paddr,
                           enum user_frame_rights rights);

/* Installs the root task's VSpace in TTBR0 under ROOT_TASK_ASID. */
void user_vspace_activate(uint64_t *root);

/* The physical address of the one ASID pool (the root task's, slot 6):
 * entry i holds the kernel pointer of the VSpace with ASID i, or 0. */
extern uint64_t asid_pool_paddr;

/* Installs the VSpace at physical address vspace_paddr in TTBR0 under asid. */
void user_vspace_switch(uint64_t vspace_paddr, unsigned asid);

/* seL4's lookupPTSlot: walks from the VSpace root while entries are tables.
 * Returns the entry reached and, in *bits_left, the log2 size of what that
 * entry translates (39 at the root ... 12 at a level-3 table). */
uint64_t *user_vspace_lookup_slot(uint64_t *root, uint64_t vaddr, unsigned *bits_left);

/* A table descriptor for the table at physical address table_paddr. */
uint64_t user_table_entry(uint64_t table_paddr);

/* A level-3 page entry for a user frame, as seL4's makeUserPagePTE. */
enum user_vm_rights { VM_KERNEL_ONLY, VM_READ_ONLY, VM_READ_WRITE };
uint64_t user_page_entry(uint64_t paddr, enum user_vm_rights rights, int cacheable,
                         int execute_never);

/* Writes one user page-table entry and drops stale translations. */
void user_vspace_write_entry(uint64_t *slot, uint64_t entry);

/* The word at user vaddr when a page maps it (seL4's Arch_userStackTrace
 * reads a stack so): 1 and *value, else 0. */
int user_vspace_read_word(uint64_t *root, uint64_t vaddr, uint64_t *value);

#endif
