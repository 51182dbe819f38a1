/* One validating pass over a flattened device tree's structure block.
 *
 * It checks what the loader relies on (every token known, nesting balanced,
 * node names and property values inside the block, property names inside the
 * strings block, exactly one root closed before FDT_END) and, in the same
 * pass, collects the facts the loader reads: the root's #address-cells and
 * #size-cells, the reg of every memory node, /psci's method and the CPU
 * nodes of /cpus (to start an SMP kernel's other cores).
 *
 * Why not libfdt's walkers: they fetch each node-name byte through a bounds-
 * checked accessor, and fdt_check_full plus three lookups cost the loader
 * ~0.45 M instructions on QEMU's 7.5 KiB DTB; this pass costs a few
 * instructions per byte. libfdt still checks the header (fdt_check_header). */
#ifndef BOOTCHECK_FDT_SCAN_H
#define BOOTCHECK_FDT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define FDT_SCAN_ERR_LEN   160
#define FDT_SCAN_MAX_MEMORY 8
#define FDT_SCAN_MAX_CPUS  16

struct fdt_scan_memory {
    const char *name;          /* node name, NUL-terminated inside the blob */
    const uint8_t *reg;        /* NULL if the node has no reg */
    uint32_t reg_len;
};

struct fdt_scan_cpu {
    const char *name;          /* node name, NUL-terminated inside the blob */
    const uint8_t *reg;        /* NULL if the node has no reg */
    uint32_t reg_len;
};

struct fdt_scan {
    uint32_t address_cells;    /* the root's; 2 when absent, as libfdt assumes */
    uint32_t size_cells;       /* the root's; 1 when absent */
    struct fdt_scan_memory memory[FDT_SCAN_MAX_MEMORY];
    unsigned nmemory;          /* children of the root with device_type "memory" */
    const char *psci_method;   /* /psci's "method" value, or NULL */
    uint32_t psci_method_len;
    int has_psci;              /* a /psci node exists */
    uint32_t cpus_address_cells;   /* /cpus' #address-cells; 1 when absent (QEMU's) */
    struct fdt_scan_cpu cpu[FDT_SCAN_MAX_CPUS];
    unsigned ncpus;            /* children of /cpus with device_type "cpu", in DTB order */
};

/* fdt must have passed fdt_check_header, with totalsize bytes readable.
 * Returns 0, or -1 with one sentence in err naming the offset and the fault. */
int fdt_scan(const void *fdt, struct fdt_scan *out, char err[FDT_SCAN_ERR_LEN]);

#endif
