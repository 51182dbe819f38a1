/* The root task's allocators: a bump heap for its own bookkeeping, free
 * slots of its CNode (from BootInfo.empty), and kernel objects retyped from
 * the BootInfo untypeds (RAM only), tracking each untyped's watermark the
 * way the kernel does so that a retype is only tried where it fits. */
#ifndef ROOTTASK_ALLOC_H
#define ROOTTASK_ALLOC_H

#include <stddef.h>

#include "sel4_abi.h"

void alloc_init(const seL4_BootInfo *bi);

/* Zeroed memory from a fixed arena; 0 when it is used up. */
void *heap_alloc(size_t bytes);

/* A free slot of the root CNode, or 0 when none is left. */
seL4_Word alloc_slot(void);

/* Retypes one object into a new slot and returns the slot; 0 on failure
 * (alloc_last_failure() says why). object_bits is the object's size. */
seL4_Word alloc_object(seL4_Word type, seL4_Word size_bits, unsigned object_bits);

/* Bytes still free in RAM untypeds (sum over all, ignoring alignment). */
seL4_Word alloc_free_bytes(void);

/* Keeps the allocator away from untyped `index` (a test uses it directly). */
void alloc_mark_used(seL4_Word index);

const char *alloc_last_failure(void);

#endif
