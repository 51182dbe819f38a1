/* The root task's seL4_BootInfo frame and the extra-bootinfo area (the DTB
 * copy), laid out as seL4 13.0.0 does (facts §4.1-§4.2). */
#ifndef STANDIN_BOOTINFO_H
#define STANDIN_BOOTINFO_H

#include <stdint.h>

#include "region.h"
#include "sel4_abi.h"

/* log2 of the extra-bootinfo area for `extra_bi_size` bytes of content
 * (0 when there is none): the page-rounded size, rounded up to a power of 2. */
unsigned extra_bi_size_bits(uint64_t extra_bi_size);

/* Clears the frame and fills the fields known before any cap exists. */
void bootinfo_populate(seL4_BootInfo *bi, uint64_t ipc_buffer_vptr, uint64_t extra_len);

/* Writes the FDT chunk (header id 6 + copy of the DTB) and, if the content
 * is shorter than extra_len, a padding chunk for the rest. */
void bootinfo_write_extra(uint64_t extra_bi_kptr, uint64_t dtb_paddr, uint32_t dtb_size,
                          uint64_t extra_len);

/* Appends untyped caps and their descriptors: device untypeds for the
 * physical space outside RAM (minus `reserved_phys`, ascending), then the
 * free RAM left by init_freemem, each cut into naturally aligned power-of-two
 * chunks. Returns 0 if a cap could not be added. */
int bootinfo_create_untypeds(seL4_BootInfo *bi, const struct region *reserved_phys,
                             unsigned n_reserved);

#endif
