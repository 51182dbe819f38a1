/* Copying an ELF's loadable segments to their destination, byte-exact, with
 * everything else of the destination range (.bss, gaps, the page-rounded
 * tail) zeroed: every byte written once, in address order. */
#ifndef LOADER_RISCV_LOAD_H
#define LOADER_RISCV_LOAD_H

#include "../../common/elf.h"
#include "../../common/plan.h"

/* Segment destinations are (by_vaddr ? vaddr : paddr) + delta. */
void load_elf(const struct elf_image *img, int by_vaddr, uint64_t delta, struct mem_range dest);

#endif
