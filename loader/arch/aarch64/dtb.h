#ifndef LOADER_DTB_H
#define LOADER_DTB_H

#include <stdint.h>

#include "../../common/dtb_parse.h"
#include "../../common/plan.h"

struct dtb_info {
    void *fdt;              /* the blob to hand over (packed in place) */
    uint64_t size;          /* its totalsize after packing */
    const char *source;     /* where it came from, for the log */
    struct mem_range ram[PLAN_MAX_RAM];
    unsigned nram;
    int has_psci;           /* a /psci node: PSCI CPU_ON can start cores */
    struct dtb_cpu cpu[DTB_MAX_CPUS];
    unsigned ncpus;
};

/* Chooses the DTB (the payload's wins, else one a firmware passed in x0,
 * else QEMU's at the start of RAM),
 * validates it with libfdt, reads RAM from /memory and the PSCI conduit from
 * /psci, and packs it. Stops the machine with a clear error if there is no
 * usable DTB. payload_dtb may be NULL. */
void dtb_select(void *payload_dtb, uint64_t payload_dtb_size, uint64_t boot_x0, struct dtb_info *out);

#endif
