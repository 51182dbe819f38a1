#include "alloc.h"

#include "fmt.h"
#include "invoke.h"

#define HEAP_BYTES 16384

static const seL4_BootInfo *bootinfo;
static seL4_Word next_slot, end_slot;
/* Bytes handed out from the start of each untyped (kernel: the watermark). */
static seL4_Word used[SEL4_MAX_UNTYPED_CAPS];
static _Alignas(16) unsigned char heap[HEAP_BYTES];
static size_t heap_used;
static char failure[120];

void alloc_init(const seL4_BootInfo *bi)
{
    bootinfo = bi;
    next_slot = bi->empty.start;
    end_slot = bi->empty.end;
}

void *heap_alloc(size_t bytes)
{
    size_t rounded = (bytes + 15) & ~(size_t)15;
    if (rounded > HEAP_BYTES - heap_used)
        return 0;
    void *p = &heap[heap_used];
    heap_used += rounded;
    return p;   /* .bss: already zero */
}

seL4_Word alloc_slot(void)
{
    if (next_slot >= end_slot) {
        bc_snprintf(failure, sizeof failure, "no free slot left in the root CNode (empty ends at 0x%lx)",
                    (unsigned long)end_slot);
        return 0;
    }
    return next_slot++;
}

static seL4_Word untyped_count(void)
{
    return bootinfo->untyped.end - bootinfo->untyped.start;
}

seL4_Word alloc_object(seL4_Word type, seL4_Word size_bits, unsigned object_bits)
{
    seL4_Word size = (seL4_Word)1 << object_bits;
    for (seL4_Word i = 0; i < untyped_count(); i++) {
        const seL4_UntypedDesc *u = &bootinfo->untypedList[i];
        if (u->isDevice || u->sizeBits < object_bits)
            continue;
        /* The kernel places each object at the watermark rounded up to the
         * object's own size. */
        seL4_Word at = (used[i] + size - 1) & ~(size - 1);
        if (at + size > ((seL4_Word)1 << u->sizeBits))
            continue;
        seL4_Word slot = alloc_slot();
        if (slot == 0)
            return 0;
        if (untyped_retype(bootinfo->untyped.start + i, type, size_bits, SEL4_CAP_INIT_THREAD_CNODE,
                           0, 0, slot, 1) != SEL4_NO_ERROR) {
            bc_snprintf(failure, sizeof failure, "%s", invoke_last_failure());
            return 0;
        }
        used[i] = at + size;
        return slot;
    }
    bc_snprintf(failure, sizeof failure,
                "no RAM untyped has room for a 0x%lx-byte object (type %lu); 0x%lx bytes free in all",
                (unsigned long)size, (unsigned long)type, (unsigned long)alloc_free_bytes());
    return 0;
}

seL4_Word alloc_free_bytes(void)
{
    seL4_Word total = 0;
    for (seL4_Word i = 0; i < untyped_count(); i++)
        if (!bootinfo->untypedList[i].isDevice)
            total += ((seL4_Word)1 << bootinfo->untypedList[i].sizeBits) - used[i];
    return total;
}

const char *alloc_last_failure(void)
{
    return failure;
}

void alloc_mark_used(seL4_Word index)
{
    used[index] = (seL4_Word)1 << bootinfo->untypedList[index].sizeBits;
}
