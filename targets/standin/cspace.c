#include "cspace.h"

#include "uart.h"

struct slot {
    uint64_t cap_tag;
    uint64_t object;      /* kernel pointer or physical address of the object */
    uint64_t unused[2];   /* pads the slot to seL4's 32 bytes */
};
_Static_assert(sizeof(struct slot) == 32, "a CNode slot is 2^5 bytes");

static struct slot *root_cnode;
static unsigned first_free_slot;

void cspace_init(uint64_t cnode_kptr)
{
    root_cnode = (struct slot *)(uintptr_t)cnode_kptr;
    first_free_slot = SEL4_NUM_INITIAL_CAPS;
}

void cspace_set_initial(unsigned slot, unsigned cap_tag, uint64_t object)
{
    root_cnode[slot] = (struct slot){ .cap_tag = cap_tag, .object = object };
}

unsigned cspace_append(unsigned cap_tag, uint64_t object)
{
    if (first_free_slot >= ROOT_CNODE_SLOTS) {
        kprintf("ERROR: can't add another cap, all %lu (=2^CONFIG_ROOT_CNODE_SIZE_BITS) slots used\n",
                (unsigned long)ROOT_CNODE_SLOTS);
        return 0;
    }
    root_cnode[first_free_slot] = (struct slot){ .cap_tag = cap_tag, .object = object };
    return first_free_slot++;
}

unsigned cspace_first_free(void)
{
    return first_free_slot;
}

unsigned cspace_identify(uint64_t cptr)
{
    /* The root CNode has radix 12 behind a 52-bit zero guard: any cptr with
     * bits set above the radix fails the lookup, which seL4 reports as a
     * null cap. */
    if (cptr >= ROOT_CNODE_SLOTS)
        return SEL4_CAP_TAG_NULL;
    return (unsigned)root_cnode[cptr].cap_tag;
}
