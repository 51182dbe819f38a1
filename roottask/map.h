/* Mapping frames into a VSpace, creating the page tables the kernel says
 * are missing: Page_Map answers seL4_FailedLookup while a level is absent,
 * so each miss costs one page table. This works unchanged for the AArch64
 * EL1 build (VSpace at level 0), the hyp build (VSpace at level 1) and
 * riscv64's Sv39 (the VSpace is the root page table). */
#ifndef ROOTTASK_MAP_H
#define ROOTTASK_MAP_H

#include "sel4_abi.h"

/* Returned by map_frame when no page table could be allocated
 * (alloc_last_failure() says why). */
#define MAP_ALLOC_FAILED ((seL4_Word)-1)

/* Returns seL4's error code (a failed invocation was reported) or
 * MAP_ALLOC_FAILED. */
seL4_Word map_frame(seL4_Word frame, seL4_Word vspace, seL4_Word vaddr, seL4_Word rights,
                    seL4_Word attr);

/* Page tables created so far (for the spawn facts). */
unsigned map_page_tables_created(void);

#endif
