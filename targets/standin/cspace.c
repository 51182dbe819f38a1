#include "cspace.h"

#include "uart.h"
#include "vspace.h"

struct lookup_fault current_lookup_fault;

static struct cap *root_cnode;
static unsigned first_free_slot;

void cspace_init(uint64_t cnode_kptr)
{
    root_cnode = (struct cap *)(uintptr_t)cnode_kptr;
    first_free_slot = SEL4_NUM_INITIAL_CAPS;
}

struct cap cspace_root_cnode_cap(void)
{
    struct cap c = cap_make(SEL4_CAP_TAG_CNODE, kptr_to_paddr(root_cnode), SEL4_ROOT_CNODE_SIZE_BITS);
    c.guard_size = SEL4_WORD_BITS - SEL4_ROOT_CNODE_SIZE_BITS;
    c.guard = 0;
    return c;
}

void cspace_set_initial(unsigned slot, struct cap cap)
{
    root_cnode[slot] = cap;
}

unsigned cspace_append(struct cap cap)
{
    if (first_free_slot >= ROOT_CNODE_SLOTS) {
        kprintf("ERROR: can't add another cap, all %lu (=2^CONFIG_ROOT_CNODE_SIZE_BITS) slots used\n",
                (unsigned long)ROOT_CNODE_SLOTS);
        return 0;
    }
    root_cnode[first_free_slot] = cap;
    return first_free_slot++;
}

unsigned cspace_first_free(void)
{
    return first_free_slot;
}

struct cap *cnode_slots(const struct cap *cnode)
{
    return (struct cap *)paddr_to_kptr(cnode->object);
}

static uint64_t low_bits(uint64_t v, unsigned n)
{
    return n >= 64 ? v : v & ((UINT64_C(1) << n) - 1);
}

struct cap *cspace_resolve(const struct cap *root, uint64_t cptr, unsigned depth,
                           unsigned *bits_left, struct lookup_fault *why)
{
    struct lookup_fault fault = { .type = LOOKUP_INVALID_ROOT };
    const struct cap *node = root;
    unsigned n_bits = depth;
    while (node->tag == SEL4_CAP_TAG_CNODE) {
        unsigned radix = node->size_bits, guard_bits = node->guard_size;
        unsigned level_bits = radix + guard_bits;
        uint64_t guard = guard_bits == 0 || guard_bits > n_bits
                             ? 0 : low_bits(cptr >> (n_bits - guard_bits), guard_bits);
        if (guard_bits > n_bits || guard != node->guard) {
            fault = (struct lookup_fault){ LOOKUP_GUARD_MISMATCH, (uint8_t)n_bits,
                                           (uint8_t)guard_bits, node->guard };
            break;
        }
        if (level_bits > n_bits) {
            fault = (struct lookup_fault){ LOOKUP_DEPTH_MISMATCH, (uint8_t)n_bits,
                                           (uint8_t)level_bits, 0 };
            break;
        }
        uint64_t offset = low_bits(cptr >> (n_bits - level_bits), radix);
        struct cap *slot = cnode_slots(node) + offset;
        n_bits -= level_bits;
        if (n_bits == 0 || slot->tag != SEL4_CAP_TAG_CNODE) {
            *bits_left = n_bits;
            return slot;
        }
        node = slot;
    }
    current_lookup_fault = fault;
    if (why != 0)
        *why = fault;
    return 0;
}

struct cap *cspace_lookup(const struct cap *cspace_root, uint64_t cptr, struct lookup_fault *why)
{
    unsigned bits_left;
    return cspace_resolve(cspace_root, cptr, SEL4_WORD_BITS, &bits_left, why);
}

struct cap *cspace_lookup_target(const struct cap *root, uint64_t index, uint64_t depth,
                                 unsigned *error)
{
    if (root->tag != SEL4_CAP_TAG_CNODE) {
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_INVALID_ROOT };
        *error = SEL4_FAILED_LOOKUP;
        return 0;
    }
    if (depth < 1 || depth > SEL4_WORD_BITS) {
        *error = SEL4_RANGE_ERROR;
        return 0;
    }
    unsigned left;
    struct cap *slot = cspace_resolve(root, index, (unsigned)depth, &left, 0);
    if (slot == 0) {
        *error = SEL4_FAILED_LOOKUP;
        return 0;
    }
    if (left != 0) {
        /* A non-CNode cap ended the walk before depth bits were used. */
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_DEPTH_MISMATCH,
                                                      .bits_left = (uint8_t)left, .bits_found = 0 };
        *error = SEL4_FAILED_LOOKUP;
        return 0;
    }
    return slot;
}
