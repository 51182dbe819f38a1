#include "dtb_parse.h"

#include <libfdt.h>

#include "fdt_scan.h"
#include "fmt.h"

static int blocks_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

/* fdt_check_full does not bound the memory reservation map: its entries may
 * run on into the structure block. fdt_pack then lays the blocks out with that
 * many entries and writes past totalsize (found by harness/fuzz/fuzz_dtb.c),
 * and the kernel would read structure bytes as reservations. */
static int check_reservation_map(const void *fdt, const char *what, char err[DTB_ERR_LEN])
{
    int n = fdt_num_mem_rsv(fdt);
    uint64_t start = fdt_off_mem_rsvmap(fdt);
    if (n < 0) {
        bc_snprintf(err, DTB_ERR_LEN,
                    "%s is not a valid DTB: memory reservation map at 0x%lx has no terminating"
                    " entry inside totalsize %u", what, (unsigned long)start, fdt_totalsize(fdt));
        return -1;
    }
    uint64_t end = start + ((uint64_t)n + 1) * sizeof(struct fdt_reserve_entry);
    /* Before version 17 the header has no structure block size. */
    uint64_t struct_end = fdt_version(fdt) >= 17 ?
        (uint64_t)fdt_off_dt_struct(fdt) + fdt_size_dt_struct(fdt) : fdt_off_dt_struct(fdt);
    uint64_t strings_end = (uint64_t)fdt_off_dt_strings(fdt) + fdt_size_dt_strings(fdt);
    if (blocks_overlap(start, end, fdt_off_dt_struct(fdt), struct_end) ||
        blocks_overlap(start, end, fdt_off_dt_strings(fdt), strings_end)) {
        bc_snprintf(err, DTB_ERR_LEN,
                    "%s is not a valid DTB: memory reservation map [0x%lx..0x%lx) (%d entries and"
                    " the terminator) overlaps the structure block at 0x%x or the strings block at"
                    " 0x%x", what, (unsigned long)start, (unsigned long)end, n,
                    fdt_off_dt_struct(fdt), fdt_off_dt_strings(fdt));
        return -1;
    }
    return 0;
}

/* Header checks by libfdt, then one pass over the structure (fdt_scan.c)
 * that both validates it and collects what the loader reads. */
static int check_and_scan(const void *fdt, uint64_t avail, const char *what,
                          struct fdt_scan *scan, char err[DTB_ERR_LEN])
{
    /* fdt_check_header reads the whole header whatever the blob's size; past
     * avail it would read stale scratch memory. */
    if (avail < sizeof(struct fdt_header)) {
        bc_snprintf(err, DTB_ERR_LEN,
                    "%s is not a valid DTB: %lu bytes are too few for an FDT header (%lu)", what,
                    (unsigned long)avail, (unsigned long)sizeof(struct fdt_header));
        return -1;
    }
    int rc = fdt_check_header(fdt);
    if (rc != 0) {
        bc_snprintf(err, DTB_ERR_LEN, "%s is not a valid DTB: fdt_check_header: %s (libfdt error %d)",
                    what, fdt_strerror(rc), rc);
        return -1;
    }
    if (fdt_totalsize(fdt) > avail) {
        bc_snprintf(err, DTB_ERR_LEN,
                    "%s is not a valid DTB: totalsize %u exceeds the %lu bytes available", what,
                    fdt_totalsize(fdt), (unsigned long)avail);
        return -1;
    }
    /* Before version 16 node names are full paths, which the loader does not
     * read (and libfdt 1.6.1's fdt_check_full dereferences the NULL name
     * fdt_get_name returns for a root without a '/': harness/fuzz/fuzz_dtb.c).
     * Every DTB seL4, QEMU and dtc write is version 17. */
    if (fdt_version(fdt) < 16) {
        bc_snprintf(err, DTB_ERR_LEN,
                    "%s is not a valid DTB: version %u is older than 16, the oldest the loader"
                    " reads", what, fdt_version(fdt));
        return -1;
    }
    char why[FDT_SCAN_ERR_LEN];
    if (fdt_scan(fdt, scan, why) != 0) {
        bc_snprintf(err, DTB_ERR_LEN, "%s is not a valid DTB: %s", what, why);
        return -1;
    }
    return check_reservation_map(fdt, what, err);
}

/* fdt32_ld, not a dereference: a property is only 4-byte aligned if the blob is. */
static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_ld(p + i);
    return v;
}

static int memory_from_scan(const struct fdt_scan *scan, const char *source,
                            struct mem_range ram[PLAN_MAX_RAM], unsigned *nram, char err[DTB_ERR_LEN])
{
    uint32_t ac = scan->address_cells, sc = scan->size_cells;
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        bc_snprintf(err, DTB_ERR_LEN,
                    "DTB (%s): unsupported #address-cells %d / #size-cells %d at the root",
                    source, (int)ac, (int)sc);
        return -1;
    }
    *nram = 0;
    for (unsigned m = 0; m < scan->nmemory; m++) {
        const struct fdt_scan_memory *node = &scan->memory[m];
        const fdt32_t *reg = (const fdt32_t *)(const void *)node->reg;
        uint32_t len = node->reg_len;
        if (reg == NULL || len == 0 || len % (4 * (ac + sc)) != 0) {
            bc_snprintf(err, DTB_ERR_LEN, "DTB (%s): memory node %s has a malformed reg property",
                        source, node->name);
            return -1;
        }
        for (uint32_t i = 0; i < len / (4 * (ac + sc)); i++) {
            const fdt32_t *cell = reg + i * (ac + sc);
            uint64_t base = read_cells(cell, (int)ac);
            uint64_t size = read_cells(cell + ac, (int)sc);
            if (size == 0)
                continue;
            if (*nram == PLAN_MAX_RAM) {
                bc_snprintf(err, DTB_ERR_LEN, "DTB (%s): more than %d RAM ranges", source,
                            PLAN_MAX_RAM);
                return -1;
            }
            ram[*nram].start = base;
            ram[*nram].end = base + size;
            (*nram)++;
        }
    }
    if (*nram == 0) {
        bc_snprintf(err, DTB_ERR_LEN, "DTB (%s) has no /memory node with a non-empty reg", source);
        return -1;
    }
    return 0;
}

/* Matches the method's first three characters, as the loader always has
 * ("hvc", "smc"), but never reads past the property. */
static int method_is(const char *method, int len, const char *want)
{
    return len >= 3 && method[0] == want[0] && method[1] == want[1] && method[2] == want[2];
}

static enum dtb_psci_method psci_from_scan(const struct fdt_scan *scan)
{
    if (scan->psci_method == NULL)
        return DTB_PSCI_UNKNOWN;
    if (method_is(scan->psci_method, (int)scan->psci_method_len, "hvc"))
        return DTB_PSCI_HVC;
    if (method_is(scan->psci_method, (int)scan->psci_method_len, "smc"))
        return DTB_PSCI_SMC;
    return DTB_PSCI_UNKNOWN;
}

/* The CPU nodes with their reg read (1 or 2 cells, as /cpus says); a node
 * whose reg is missing or malformed is kept with has_reg 0, so the loader can
 * name it if it ever needs that core. */
static void cpus_from_scan(const struct fdt_scan *scan, struct dtb_facts *facts)
{
    uint32_t cells = scan->cpus_address_cells;
    facts->ncpus = scan->ncpus;
    for (unsigned i = 0; i < scan->ncpus; i++) {
        const struct fdt_scan_cpu *c = &scan->cpu[i];
        struct dtb_cpu *d = &facts->cpu[i];
        d->has_reg = c->reg != NULL && (cells == 1 || cells == 2) && c->reg_len >= 4 * cells;
        d->mpidr = d->has_reg ? read_cells((const fdt32_t *)(const void *)c->reg, (int)cells) : 0;
        unsigned n = 0;
        for (; n + 1 < DTB_CPU_NAME_LEN && c->name[n] != '\0'; n++)
            d->name[n] = c->name[n];
        d->name[n] = '\0';
    }
}

int dtb_parse(const void *fdt, uint64_t avail, const char *what, const char *source,
              struct dtb_facts *facts, char err[DTB_ERR_LEN])
{
    struct fdt_scan scan;
    if (check_and_scan(fdt, avail, what, &scan, err) != 0)
        return -1;
    facts->psci = psci_from_scan(&scan);
    facts->has_psci = scan.has_psci;
    cpus_from_scan(&scan, facts);
    return memory_from_scan(&scan, source, facts->ram, &facts->nram, err);
}

int dtb_check_blob(const void *fdt, uint64_t avail, const char *what, char err[DTB_ERR_LEN])
{
    struct fdt_scan scan;
    return check_and_scan(fdt, avail, what, &scan, err);
}

/* The two readers below need a blob that passed dtb_check_blob, so the scan
 * cannot fail here. */
int dtb_read_memory(const void *fdt, const char *source, struct mem_range ram[PLAN_MAX_RAM],
                    unsigned *nram, char err[DTB_ERR_LEN])
{
    struct fdt_scan scan;
    char why[FDT_SCAN_ERR_LEN];
    if (fdt_scan(fdt, &scan, why) != 0) {
        bc_snprintf(err, DTB_ERR_LEN, "DTB (%s): %s", source, why);
        return -1;
    }
    return memory_from_scan(&scan, source, ram, nram, err);
}

enum dtb_psci_method dtb_read_psci(const void *fdt)
{
    struct fdt_scan scan;
    char why[FDT_SCAN_ERR_LEN];
    return fdt_scan(fdt, &scan, why) == 0 ? psci_from_scan(&scan) : DTB_PSCI_UNKNOWN;
}

uint32_t dtb_handover_size(const void *fdt)
{
    /* fdt_pack: the reservation map right after the header (8-aligned),
     * then the structure block, then the strings block. */
    uint32_t rsvmap = ((uint32_t)fdt_num_mem_rsv(fdt) + 1) * (uint32_t)sizeof(struct fdt_reserve_entry);
    uint32_t header = ((uint32_t)sizeof(struct fdt_header) + 7u) & ~7u;
    return header + rsvmap + fdt_size_dt_struct(fdt) + fdt_size_dt_strings(fdt);
}
