/* RISC-V Sv39 page-table walker (privileged spec 1.12, 4.4): three levels of
 * 512 eight-byte entries, leaves at any level (1 GiB, 2 MiB, 4 KiB pages).
 * Freestanding like ptwalk.h: no allocation, memory read through a callback,
 * so the host tools (the Unicorn suite reads the tables a loader left in
 * guest RAM) and a loader can share it. */
#ifndef BOOTCHECK_SV39WALK_H
#define BOOTCHECK_SV39WALK_H

#include <stdint.h>

#define SV39_PTE_V   (UINT64_C(1) << 0)
#define SV39_PTE_R   (UINT64_C(1) << 1)
#define SV39_PTE_W   (UINT64_C(1) << 2)
#define SV39_PTE_X   (UINT64_C(1) << 3)
#define SV39_PTE_U   (UINT64_C(1) << 4)
#define SV39_PTE_G   (UINT64_C(1) << 5)
#define SV39_PTE_A   (UINT64_C(1) << 6)
#define SV39_PTE_D   (UINT64_C(1) << 7)
#define SV39_PTE_PPN_SHIFT 10
#define SV39_PTE_PPN_MASK  ((UINT64_C(1) << 44) - 1)   /* PPN[2:0], bits 53..10 */
#define SV39_LEVELS  3
#define SV39_VA_BITS 39

#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE  0u
#define SATP_MODE_SV39  8u
#define SATP_PPN_MASK   ((UINT64_C(1) << 44) - 1)

/* Reads the 64-bit entry at physical address pa: 0, or -1 if not memory. */
typedef int (*sv39_read_fn)(void *ctx, uint64_t pa, uint64_t *pte);

struct sv39_leaf {
    uint64_t va, pa;     /* the translated address (not the page's base) */
    uint64_t page_size;  /* 1 GiB, 2 MiB or 4 KiB */
    unsigned level;      /* 2: root (1 GiB) .. 0: 4 KiB, the spec's numbering */
    uint64_t pte;
    uint64_t pte_pa;     /* where the leaf entry lives */
};

#define SV39_ERR_LEN 200

/* Translates va through the tables at root_pa (satp.PPN << 12). Returns 0
 * with the leaf; 1 if va is not mapped (err says at which level and why,
 * including a non-canonical va); -1 if a table is not readable memory or an
 * entry is malformed (W without R, a misaligned superpage, a non-leaf with
 * A/D/U set). */
int sv39_translate(uint64_t root_pa, uint64_t va, sv39_read_fn read, void *ctx,
                   struct sv39_leaf *leaf, char err[SV39_ERR_LEN]);

/* "VRWX-GAD"-style flags of an entry, one letter per set bit ('-' if clear),
 * in the order V R W X U G A D (9 bytes with the NUL). */
const char *sv39_flags(uint64_t pte, char buf[9]);

/* satp's MODE field as a name: "Bare", "Sv39", "Sv48", "Sv57" or "reserved". */
const char *satp_mode_name(uint64_t satp);

#endif
