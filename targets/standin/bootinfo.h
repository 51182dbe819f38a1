/* The root task's seL4_BootInfo frame and the extra-bootinfo area (the DTB
 * copy), laid out as seL4 does (facts §4.1-§4.2; unchanged 13.0 .. 16.0,
 * MCS adds schedcontrol). */
#ifndef STANDIN_BOOTINFO_H
#define STANDIN_BOOTINFO_H

#include <stdint.h>

#include "config.h"
#include "region.h"
#include "sel4_abi.h"

/* seL4_BootInfo of this build: on MCS `schedcontrol` (one SchedControl cap
 * per node) comes before `untyped`, moving it and the untyped list. */
typedef struct {
    seL4_Word extraLen;
    seL4_Word nodeID;
    seL4_Word numNodes;
    seL4_Word numIOPTLevels;
    seL4_Word ipcBuffer;
    seL4_SlotRegion empty;
    seL4_SlotRegion sharedFrames;
    seL4_SlotRegion userImageFrames;
    seL4_SlotRegion userImagePaging;
    seL4_SlotRegion ioSpaceCaps;
    seL4_SlotRegion extraBIPages;
    seL4_Word initThreadCNodeSizeBits;
    seL4_Word initThreadDomain;
#if CONFIG_KERNEL_MCS
    seL4_SlotRegion schedcontrol;
#endif
    seL4_SlotRegion untyped;
    seL4_UntypedDesc untypedList[SEL4_MAX_UNTYPED_CAPS];
} boot_info_t;
_Static_assert(sizeof(boot_info_t) == (CONFIG_KERNEL_MCS ? 3864 : 3848), "sizeof(seL4_BootInfo)");
_Static_assert(__builtin_offsetof(boot_info_t, untyped) == (CONFIG_KERNEL_MCS ? 168 : 152),
               "seL4_BootInfo.untyped");

/* Clears the frame and fills the fields known before any cap exists. */
void bootinfo_populate(boot_info_t *bi, uint64_t ipc_buffer_vptr, uint64_t extra_len);

/* Writes the FDT chunk (header id 6 + copy of the DTB) and, if the content
 * is shorter than extra_len, a padding chunk for the rest. */
void bootinfo_write_extra(uint64_t extra_bi_kptr, uint64_t dtb_paddr, uint32_t dtb_size,
                          uint64_t extra_len);

/* Appends untyped caps and their descriptors: device untypeds for the
 * physical space outside RAM (minus `reserved_phys`, ascending), then the
 * free RAM left by init_freemem, each cut into naturally aligned power-of-two
 * chunks. Returns 0 if a cap could not be added. */
int bootinfo_create_untypeds(boot_info_t *bi, const struct region *reserved_phys,
                             unsigned n_reserved);

#endif
