/* Stage-1 translation-table walker (4 KiB granule), decoding descriptors with
 * the names in pagetable.h. Shared by the host tools (the Unicorn suite reads
 * the tables the loader left in guest RAM) and usable freestanding: no
 * allocation, memory is read through a callback, results go to a callback.
 *
 * A walk reports every valid leaf (block or page); ptwalk_coalesce() folds
 * consecutive leaves with the same attributes into ranges, which is the
 * translation map the tests compare and print. */
#ifndef BOOTCHECK_PTWALK_H
#define BOOTCHECK_PTWALK_H

#include <stdint.h>

/* One valid leaf descriptor and the VA it translates. */
struct ptwalk_leaf {
    uint64_t va, pa, size;
    unsigned level;
    uint64_t desc;
};

/* Reads the 64-bit descriptor at physical address pa. Returns 0, or -1 if pa
 * is not readable memory. */
typedef int (*ptwalk_read_fn)(void *ctx, uint64_t pa, uint64_t *desc);
/* Receives each leaf in ascending VA order. Non-zero stops the walk. */
typedef int (*ptwalk_leaf_fn)(void *ctx, const struct ptwalk_leaf *leaf);

#define PTWALK_ERR_LEN 160

/* Number of VA bits a TxSZ field selects, and the level a walk of that many
 * bits starts at (48 bits: level 0, 39 bits: level 1). */
static inline unsigned ptwalk_va_bits(unsigned txsz) { return 64 - txsz; }
unsigned ptwalk_start_level(unsigned va_bits);

/* Walks the table at root_pa. va_base is the VA of the table's first entry
 * (0 for TTBR0, 2^64 - 2^va_bits for TTBR1). Returns 0; -1 with err filled on
 * an unreadable table or a descriptor that is invalid for its level; or the
 * callback's non-zero value. */
int ptwalk(uint64_t root_pa, uint64_t va_base, unsigned va_bits, ptwalk_read_fn read,
           void *read_ctx, ptwalk_leaf_fn visit, void *visit_ctx, char err[PTWALK_ERR_LEN]);

/* The attributes the map is compared on, decoded from a leaf descriptor. */
struct ptwalk_attrs {
    unsigned attrindx;  /* MAIR index */
    unsigned ap;        /* AP[2:1], PTE_AP_* >> PTE_AP_SHIFT */
    unsigned uxn, pxn;  /* UXN is XN in a single-range (EL2) regime */
    unsigned af;
};

void ptwalk_decode(uint64_t desc, struct ptwalk_attrs *a);

/* A run of leaves of one size with contiguous VA and PA and equal attributes. */
struct ptwalk_range {
    uint64_t va_start, va_end, pa_start, block_size;
    struct ptwalk_attrs attrs;
};

/* Appends leaf to ranges[0..*n) or extends the last range. Returns -1 when a
 * new range is needed and *n == max. */
int ptwalk_coalesce(struct ptwalk_range *ranges, unsigned max, unsigned *n,
                    const struct ptwalk_leaf *leaf);

/* The memory type a MAIR attribute byte selects, as a short name
 * ("Normal-WB", "Device-nGnRnE", ...; "attr 0xNN" for anything else, in buf). */
const char *ptwalk_mair_type(uint64_t mair, unsigned attrindx, char buf[16]);

#endif
