/* Physical memory at boot: seL4's reserved-region checks (with its wording),
 * the placement of the root-server objects at the top of RAM, and the free
 * list the untyped capabilities are cut from. */
#ifndef STANDIN_FREEMEM_H
#define STANDIN_FREEMEM_H

#include <stdint.h>

#include "config.h"
#include "region.h"

/* Object sizes (log2 bytes) of this configuration. */
#define ROOT_CNODE_SLOT_BITS   12
#define SLOT_BITS              5
#define ROOT_CNODE_BITS        (ROOT_CNODE_SLOT_BITS + SLOT_BITS)
#define VSPACE_BITS            12
#define PAGE_BITS              12
#define PAGE_TABLE_BITS        12
#define ASID_POOL_BITS         12
/* seL4_TCBBits is the ABI table's (riscv64: 10 without an FPU, 13.0). */
/* seL4_MinSchedContextBits: the root task's SchedContext (MCS). */
#define MIN_SCHED_CONTEXT_BITS 7

#define MAX_RESERVED_REGIONS   3
/* MAX_FREE_REGIONS (seL4's MAX_NUM_FREEMEM_REG) is the platform's
 * (config.h). A placement whose free gaps fill the last slot is refused,
 * as seL4 refuses it. */

/* Where init_freemem put the root task's kernel objects: kernel pointers,
 * 0x48 bytes, the same shape and symbol name as seL4's (a test reads it to
 * prove the loader never writes kernel-internal state). */
struct rootserver_mem {
    uint64_t cnode, vspace, asid_pool, ipc_buf, boot_info, extra_bi, tcb;
#if CONFIG_KERNEL_MCS
    uint64_t sc;          /* the root task's SchedContext */
#endif
    struct region paging;
};
_Static_assert(sizeof(struct rootserver_mem) == (CONFIG_KERNEL_MCS ? 0x50 : 0x48),
               "rootserver is 0x48 bytes in seL4, 0x50 on MCS");
extern struct rootserver_mem rootserver;

/* Free physical RAM once init_freemem succeeded, ascending. */
extern struct region freemem[MAX_FREE_REGIONS];
extern unsigned freemem_count;

/* Number of level-1, level-2 and level-3 tables that cover it_v_reg. */
uint64_t n_paging_structures(struct region it_v_reg);

/* `reserved` are kernel-window regions in seL4's fixed order. Prints the
 * available and reserved lists as seL4 does, checks that the reserved
 * regions are sane and ordered, carves the root-server objects out of the
 * highest free RAM and zeroes them. On failure prints seL4's ERROR line and
 * returns 0. */
int init_freemem(const struct region *reserved, unsigned n_reserved,
                 struct region it_v_reg, unsigned extra_bi_size_bits);

#endif
