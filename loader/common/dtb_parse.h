/* The pure part of the loader's DTB handling: validating a blob with libfdt
 * and reading RAM (/memory) and the PSCI method (/psci) from it. Shared by
 * the loader (arm64 libfdt, loader/arch/aarch64/dtb.c) and host builds (-lfdt: the
 * fuzzer in harness/fuzz/), so both run exactly the same checks.
 *
 * Nothing here prints or stops: failures return -1 with the sentence the
 * loader prints after "loader: error: ". */
#ifndef BOOTCHECK_DTB_PARSE_H
#define BOOTCHECK_DTB_PARSE_H

#include <stdint.h>

#include "fdt_scan.h"
#include "plan.h"

/* As long as the loader's error line, so messages are cut at the same place. */
#define DTB_ERR_LEN 256

enum dtb_psci_method {
    DTB_PSCI_UNKNOWN = 0,   /* no /psci, no method, or neither hvc nor smc */
    DTB_PSCI_HVC,
    DTB_PSCI_SMC,
};

#define DTB_MAX_CPUS      FDT_SCAN_MAX_CPUS
#define DTB_CPU_NAME_LEN  24

/* One CPU node of /cpus, copied out of the blob (which fdt_pack moves). */
struct dtb_cpu {
    uint64_t mpidr;                 /* its reg: the MPIDR affinity PSCI CPU_ON takes */
    int has_reg;                    /* 0: no usable reg (1 or 2 cells as /cpus says) */
    char name[DTB_CPU_NAME_LEN];    /* e.g. "cpu@1", cut to fit */
};

/* What the loader reads from a DTB. */
struct dtb_facts {
    struct mem_range ram[PLAN_MAX_RAM];
    unsigned nram;
    enum dtb_psci_method psci;
    int has_psci;                   /* a /psci node exists */
    struct dtb_cpu cpu[DTB_MAX_CPUS];
    unsigned ncpus;                 /* in DTB order */
};

/* Everything the loader needs, in one pass over the structure block:
 * dtb_check_blob's checks, then RAM (as dtb_read_memory), the PSCI method
 * and the CPU nodes. `what` names the blob in blob errors, `source` in /memory errors. */
int dtb_parse(const void *fdt, uint64_t avail, const char *what, const char *source,
              struct dtb_facts *facts, char err[DTB_ERR_LEN]);

/* Checks that fdt[0..avail) holds one complete, well-formed blob
 * (fdt_check_header, totalsize within avail, a structure block that
 * fdt_scan accepts, a bounded reservation map). `what` names the blob in
 * the message. */
int dtb_check_blob(const void *fdt, uint64_t avail, const char *what, char err[DTB_ERR_LEN]);

/* Reads every non-empty reg range of the device_type = "memory" nodes, with
 * the root's #address-cells / #size-cells (1 or 2 each), into ram[0..*nram).
 * Needs a blob that passed dtb_check_blob. `source` names it in the message. */
int dtb_read_memory(const void *fdt, const char *source, struct mem_range ram[PLAN_MAX_RAM],
                    unsigned *nram, char err[DTB_ERR_LEN]);

/* How many bytes the DTB handed to the kernel takes: the blob as libfdt's
 * fdt_pack lays it out (header, reservation map, structure and strings
 * blocks, no free space). The loader packs every DTB before handing it
 * over; the pack step and the emulator plan with this same number, so the
 * printed plan, the boot and the checks agree. Needs a blob that passed
 * dtb_check_blob. */
uint32_t dtb_handover_size(const void *fdt);

/* The conduit named by /psci's "method" property. */
enum dtb_psci_method dtb_read_psci(const void *fdt);

#endif
