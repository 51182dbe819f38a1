/* What the loader reads from a DTB's scan (fdt_scan.c): RAM, the PSCI method
 * and the CPU nodes. No libfdt: the riscv64 loader, which has none (Debian
 * ships no riscv64 libfdt), uses this with fdt_header.c; the AArch64 loader
 * and the host tools reach it through dtb_parse.c. */
#ifndef BOOTCHECK_DTB_FACTS_H
#define BOOTCHECK_DTB_FACTS_H

#include "dtb_parse.h"
#include "fdt_scan.h"

/* RAM from the memory nodes' reg (the root's #address-cells / #size-cells,
 * 1 or 2 each); -1 with one sentence naming `source` when malformed or empty. */
int dtb_memory_from_scan(const struct fdt_scan *scan, const char *source,
                         struct mem_range ram[PLAN_MAX_RAM], unsigned *nram, char err[DTB_ERR_LEN]);

enum dtb_psci_method dtb_psci_from_scan(const struct fdt_scan *scan);

/* All of the above, plus the CPU nodes with their reg (the MPIDR on Arm, the
 * hart id on RISC-V). */
int dtb_facts_from_scan(const struct fdt_scan *scan, const char *source, struct dtb_facts *facts,
                        char err[DTB_ERR_LEN]);

#endif
