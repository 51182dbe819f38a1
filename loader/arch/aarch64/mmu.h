#ifndef LOADER_MMU_H
#define LOADER_MMU_H

#include <stdint.h>

#include "../../common/plan.h"
#include "enter.h"

/* Turns the MMU and caches on at the current EL with a coarse identity map
 * (device below RAM, normal memory from RAM upwards), so loading can use
 * unaligned and SIMD accesses and caches. The map is a constant table. */
void mmu_enable_boot_map(void);

/* Builds the tables the kernel is entered with and fills the translation
 * registers of r: identity map of the loader and the UART only, plus the
 * kernel window (TTBR1_EL1 for an EL1 kernel, TTBR0_EL2 for a hyp kernel). */
void mmu_build_handoff(const struct boot_plan *plan, struct mem_range loader,
                       struct handoff_regs *r);

#endif
