/* The allocators of a thread that spawns components: a bump heap for its
 * own bookkeeping, free slots of its CNode, and kernel objects retyped from
 * its untypeds (RAM only), tracking each untyped's watermark the way the
 * kernel does so that a retype is only tried where it fits. The root task
 * starts them from its BootInfo; a delegated spawner (system_init) from the
 * one untyped and the CNode its parent gave it. */
#ifndef ROOTTASK_ALLOC_H
#define ROOTTASK_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#include "sel4_abi.h"
#include "sel4_abi_table.h"

/* Root task: the BootInfo's untypeds and empty slots, the root CNode. */
void alloc_init(const seL4_BootInfo *bi);

/* A delegated spawner: one untyped cap of 2^size_bits bytes, and the slots
 * [first_slot, end_slot) of the CNode in slot `cnode` (depth-64 cptrs). */
void alloc_init_delegated(seL4_Word cnode, seL4_Word untyped, unsigned size_bits,
                          seL4_Word first_slot, seL4_Word end_slot);

/* The cptr of the CNode the slots below belong to. */
seL4_Word alloc_cnode(void);

/* Zeroed memory from a fixed arena; 0 when it is used up. */
void *heap_alloc(size_t bytes);

/* A free slot of the CNode, or 0 when none is left. */
seL4_Word alloc_slot(void);

/* Retypes one object of `kind` into a new slot and returns the slot; 0 on
 * failure (alloc_last_failure() says why). Its type number and size come
 * from the kernel's ABI (kernel_abi.h); size_bits is seL4's argument (a
 * CNode's slot count, an untyped's or SchedContext's size, else 0). */
seL4_Word alloc_kernel_object(enum sel4_object kind, seL4_Word size_bits);

/* The same with the raw type number and the size (log2 bytes) the
 * allocator reserves (code written for one ABI; errprobe's bad types). */
seL4_Word alloc_object(seL4_Word type, seL4_Word size_bits, unsigned object_bits);

/* Bytes still free in RAM untypeds (sum over all, ignoring alignment). */
seL4_Word alloc_free_bytes(void);

/* Keeps the allocator away from untyped `index` (a test uses it directly). */
void alloc_mark_used(seL4_Word index);

const char *alloc_last_failure(void);

#endif
