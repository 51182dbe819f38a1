#include "dtb_parse.h"

#include <libfdt.h>

#include "dtb_facts.h"
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

int dtb_parse(const void *fdt, uint64_t avail, const char *what, const char *source,
              struct dtb_facts *facts, char err[DTB_ERR_LEN])
{
    struct fdt_scan scan;
    if (check_and_scan(fdt, avail, what, &scan, err) != 0)
        return -1;
    return dtb_facts_from_scan(&scan, source, facts, err);
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
    return dtb_memory_from_scan(&scan, source, ram, nram, err);
}

enum dtb_psci_method dtb_read_psci(const void *fdt)
{
    struct fdt_scan scan;
    char why[FDT_SCAN_ERR_LEN];
    return fdt_scan(fdt, &scan, why) == 0 ? dtb_psci_from_scan(&scan) : DTB_PSCI_UNKNOWN;
}

uint32_t dtb_handover_size(const void *fdt)
{
    /* fdt_pack: the reservation map right after the header (8-aligned),
     * then the structure block, then the strings block. */
    uint32_t rsvmap = ((uint32_t)fdt_num_mem_rsv(fdt) + 1) * (uint32_t)sizeof(struct fdt_reserve_entry);
    uint32_t header = ((uint32_t)sizeof(struct fdt_header) + 7u) & ~7u;
    return header + rsvmap + fdt_size_dt_struct(fdt) + fdt_size_dt_strings(fdt);
}
