/* Sv39 page tables: the kernel's (its window at PPTR_BASE and its ELF
 * window at PPTR_TOP, seL4's kernel_root_pageTable) and the root task's,
 * whose root carries the kernel's entries (seL4's copyGlobalMappings). */
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
/* A symbol of the kernel image (linked in the ELF window) as a PA. */
static inline uint64_t kimg_to_paddr(const void *p)
{
    return (uint64_t)(uintptr_t)p - PPTR_TOP + KERNEL_ELF_WINDOW_PADDR;
}

/* Builds the kernel's root table and switches satp to it (ASID 0). Runs
 * first in init_kernel: the loader's tables must not be relied on. */
void vspace_activate_kernel(void);

/* Copies the kernel's entries into a new VSpace root (copyGlobalMappings). */
void user_vspace_copy_global(uint64_t *root);

/* Links an empty, zeroed table (kernel pointer `table`) into the VSpace
 * rooted at `root` so that it translates `vaddr` at `level` (1 or 2). */
void user_vspace_link_table(uint64_t *root, uint64_t vaddr, unsigned level, uint64_t *table);

enum user_frame_rights {
    USER_FRAME_RWX,   /* root task image */
    USER_FRAME_RW_XN, /* IPC buffer, BootInfo, extra BootInfo */
};

/* Maps the 4 KiB frame at `paddr` at user `vaddr` (U, A, D set, as seL4's
 * map_it_frame_cap). The level-2 table covering vaddr must be linked. */
void user_vspace_map_frame(uint64_t *root, uint64_t vaddr, uint64_t paddr,
                           enum user_frame_rights rights);

/* Installs the VSpace rooted at physical vspace_paddr under asid. */
void user_vspace_switch(uint64_t vspace_paddr, unsigned asid);

/* Installs the root task's VSpace under ROOT_TASK_ASID. */
void user_vspace_activate(uint64_t *root);

/* The physical address of the one ASID pool (the root task's): entry i
 * holds the kernel pointer of the VSpace with ASID i, or 0. */
extern uint64_t asid_pool_paddr;

/* seL4's lookupPTSlot: walks from the root while entries are tables.
 * Returns the entry reached and, in *bits_left, the log2 size of what it
 * translates (30 at the root, 21, 12 at a level-2 table). */
uint64_t *user_vspace_lookup_slot(uint64_t *root, uint64_t vaddr, unsigned *bits_left);

/* Sv39 entry bits the invocation decoders need. */
#define PTE_VALID       (UINT64_C(1) << 0)

/* seL4's isPTEPageTable: valid, with none of R, W, X. */
int user_pte_is_table(uint64_t entry);

/* A non-leaf entry for the table at physical address table_paddr. */
uint64_t user_table_entry(uint64_t table_paddr);

/* A user leaf entry as seL4's makeUserPTE (U, A, D set): 0 (invalid) when
 * it would grant nothing. */
enum user_vm_rights { VM_KERNEL_ONLY, VM_READ_ONLY, VM_READ_WRITE };
uint64_t user_page_entry(uint64_t paddr, enum user_vm_rights rights, int executable);

/* The physical address an entry points at. */
uint64_t user_pte_paddr(uint64_t entry);

/* Writes one user page-table entry and drops stale translations. */
void user_vspace_write_entry(uint64_t *slot, uint64_t entry);

/* The word at user vaddr when a page maps it (seL4's Arch_userStackTrace
 * reads a stack so): 1 and *value, else 0. */
int user_vspace_read_word(uint64_t *root, uint64_t vaddr, uint64_t *value);

#endif
