#include "alloc.h"

#include "fmt.h"
#include "invoke.h"
#include "kernel_abi.h"

#define HEAP_BYTES 16384

struct untyped {
    seL4_Word cptr;
    unsigned size_bits;
    bool device;
    seL4_Word used;   /* bytes handed out from its start (the kernel's watermark) */
};

static struct untyped untypeds[SEL4_MAX_UNTYPED_CAPS];
static seL4_Word n_untypeds;
static seL4_Word cnode = SEL4_CAP_INIT_THREAD_CNODE;
static seL4_Word next_slot, end_slot;
static _Alignas(16) unsigned char heap[HEAP_BYTES];
static size_t heap_used;
static char failure[120];

void alloc_init(const seL4_BootInfo *bi)
{
    cnode = SEL4_CAP_INIT_THREAD_CNODE;
    next_slot = bi->empty.start;
    end_slot = bi->empty.end;
    seL4_SlotRegion region = bootinfo_untyped(bi);
    const seL4_UntypedDesc *list = bootinfo_untyped_list(bi);
    n_untypeds = region.end - region.start;
    if (n_untypeds > SEL4_MAX_UNTYPED_CAPS)
        n_untypeds = SEL4_MAX_UNTYPED_CAPS;
    for (seL4_Word i = 0; i < n_untypeds; i++)
        untypeds[i] = (struct untyped){ region.start + i, list[i].sizeBits, list[i].isDevice != 0, 0 };
}

void alloc_init_delegated(seL4_Word cnode_cptr, seL4_Word untyped, unsigned size_bits,
                          seL4_Word first_slot, seL4_Word end)
{
    cnode = cnode_cptr;
    next_slot = first_slot;
    end_slot = end;
    n_untypeds = 1;
    untypeds[0] = (struct untyped){ untyped, size_bits, false, 0 };
}

seL4_Word alloc_cnode(void)
{
    return cnode;
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
        bc_snprintf(failure, sizeof failure, "no free slot left in the CNode (free slots end at 0x%lx)",
                    (unsigned long)end_slot);
        return 0;
    }
    return next_slot++;
}

seL4_Word alloc_object(seL4_Word type, seL4_Word size_bits, unsigned object_bits)
{
    seL4_Word size = (seL4_Word)1 << object_bits;
    for (seL4_Word i = 0; i < n_untypeds; i++) {
        struct untyped *u = &untypeds[i];
        if (u->device || u->size_bits < object_bits)
            continue;
        /* The kernel places each object at the watermark rounded up to the
         * object's own size. */
        seL4_Word at = (u->used + size - 1) & ~(size - 1);
        if (at + size > ((seL4_Word)1 << u->size_bits))
            continue;
        seL4_Word slot = alloc_slot();
        if (slot == 0)
            return 0;
        if (untyped_retype(u->cptr, type, size_bits, cnode, 0, 0, slot, 1) != SEL4_NO_ERROR) {
            bc_snprintf(failure, sizeof failure, "%s", invoke_last_failure());
            return 0;
        }
        u->used = at + size;
        return slot;
    }
    bc_snprintf(failure, sizeof failure,
                "no RAM untyped has room for a 0x%lx-byte object (type %lu); 0x%lx bytes free in all",
                (unsigned long)size, (unsigned long)type, (unsigned long)alloc_free_bytes());
    return 0;
}

seL4_Word alloc_kernel_object(enum sel4_object kind, seL4_Word size_bits)
{
    return alloc_object(kernel_object_type(kind), size_bits, kernel_object_bits(kind, size_bits));
}

seL4_Word alloc_free_bytes(void)
{
    seL4_Word total = 0;
    for (seL4_Word i = 0; i < n_untypeds; i++)
        if (!untypeds[i].device)
            total += ((seL4_Word)1 << untypeds[i].size_bits) - untypeds[i].used;
    return total;
}

const char *alloc_last_failure(void)
{
    return failure;
}

void alloc_mark_used(seL4_Word index)
{
    untypeds[index].used = (seL4_Word)1 << untypeds[index].size_bits;
}
