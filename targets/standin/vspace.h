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
 * relied on, and the UART is reachable only afterwards. */
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

#endif
