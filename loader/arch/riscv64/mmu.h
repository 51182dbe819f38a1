/* Sv39 tables for the jump into the kernel (the facts of seL4's RISC-V
 * elfloader, written from its behaviour): the kernel's virtual window mapped
 * with 2 MiB leaves onto its physical image, and the loader's own 1 GiB
 * identity-mapped, so the code that writes satp keeps running. The kernel
 * installs its own tables early in init_kernel; these only carry it there. */
#ifndef LOADER_RISCV_MMU_H
#define LOADER_RISCV_MMU_H

#include <stdint.h>

#include "../../common/plan.h"

/* What enter.S loads: the layout is fixed (offsets in enter.S). */
struct riscv_handoff {
    uint64_t a[6];      /* a0..a5: user image start/end, pv offset, user entry, DTB, DTB size */
    uint64_t satp;
    uint64_t entry;     /* the kernel's virtual entry */
};

#define SATP_MODE_SV39 (UINT64_C(8) << 60)

/* Builds the tables for plan (the loader occupies loader); returns satp, or
 * stops the machine with one line if the kernel window cannot be mapped. */
uint64_t mmu_build_handoff(const struct boot_plan *plan, struct mem_range loader);

#endif
