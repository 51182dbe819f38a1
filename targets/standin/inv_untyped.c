/* Untyped_Retype: seL4's checks in seL4's order (decodeUntypedInvocation),
 * then objects carved from the untyped's watermark, each aligned to its own
 * size and zeroed, their caps written to the destination window. */
#include "invocation.h"
#include "cspace.h"
#include "kstring.h"
#include "sched.h"
#include "vspace.h"

#define MAX_OBJECT_BITS 64   /* marks a size the type cannot have */

/* seL4_MinSchedContextBits and seL4_ReplyBits (MCS, aarch64). */
#define MIN_SCHED_CONTEXT_BITS 7
#define REPLY_BITS 5

/* seL4's getObjectSize. */
static unsigned object_size_bits(enum object_type type, uint64_t user_size_bits)
{
    switch (type) {
    case OBJECT_UNTYPED: return (unsigned)user_size_bits;
    case OBJECT_TCB: return SEL4_TCB_BITS;
    case OBJECT_ENDPOINT: return SEL4_ENDPOINT_BITS;
    case OBJECT_NOTIFICATION: return abi_notification_bits();
    case OBJECT_CAP_TABLE: return (unsigned)user_size_bits + SEL4_SLOT_BITS;
    case OBJECT_SCHED_CONTEXT: return (unsigned)user_size_bits;
    case OBJECT_REPLY: return REPLY_BITS;
    case OBJECT_ARM_HUGE_PAGE: return SEL4_HUGE_PAGE_BITS;
    case OBJECT_ARM_VSPACE: return SEL4_VSPACE_BITS;
    case OBJECT_ARM_SMALL_PAGE: return SEL4_PAGE_BITS;
    case OBJECT_ARM_LARGE_PAGE: return SEL4_LARGE_PAGE_BITS;
    case OBJECT_ARM_PAGE_TABLE: return SEL4_PAGE_TABLE_BITS;
    default: return MAX_OBJECT_BITS;
    }
}

static int is_frame_type(enum object_type type)
{
    return type == OBJECT_ARM_SMALL_PAGE || type == OBJECT_ARM_LARGE_PAGE ||
           type == OBJECT_ARM_HUGE_PAGE;
}

/* Appends text to a TCB name at position n (cut at TCB_NAME_LENGTH - 1,
 * like seL4's strlcat); returns the new length. */
static unsigned append_name(char *name, unsigned n, const char *text)
{
    for (; *text != 0 && n < TCB_NAME_LENGTH - 1; text++)
        name[n++] = *text;
    name[n] = 0;
    return n;
}

static void init_tcb(uint64_t paddr)
{
    struct tcb *t = tcb_of_object(paddr);
    /* seL4's debug build names every new thread after its creator. */
    unsigned n = append_name(t->name, 0, "child of: '");
    n = append_name(t->name, n, ksCurThread->name);
    append_name(t->name, n, "'");
    t->registers[REG_SPSR] = SPSR_USER_INITIAL;
    t->state = THREAD_INACTIVE;
    sched_add(t);
}

/* The new object's cap; the memory is already zeroed (except device memory). */
static struct cap create_object(enum object_type type, uint64_t user_size_bits, uint64_t paddr,
                                unsigned size_bits, int device)
{
    switch (type) {
    case OBJECT_UNTYPED: {
        struct cap c = cap_make(SEL4_CAP_TAG_UNTYPED, paddr, size_bits);
        c.flags = device ? CAP_DEVICE : 0;
        return c;
    }
    case OBJECT_TCB:
        init_tcb(paddr);
        return cap_make(SEL4_CAP_TAG_THREAD, paddr, size_bits);
    case OBJECT_ENDPOINT:
        return cap_make(SEL4_CAP_TAG_ENDPOINT, paddr, size_bits);
    case OBJECT_NOTIFICATION:
        return cap_make(SEL4_CAP_TAG_NOTIFICATION, paddr, size_bits);
    case OBJECT_CAP_TABLE:
        return cap_make(SEL4_CAP_TAG_CNODE, paddr, (unsigned)user_size_bits);
    case OBJECT_SCHED_CONTEXT:
        return cap_make(CAP_TAG_SCHED_CONTEXT, paddr, size_bits);
    case OBJECT_REPLY: {
        struct cap c = cap_make(SEL4_CAP_TAG_REPLY, paddr, size_bits);
        c.rights = SEL4_CAN_GRANT;   /* seL4's cap_reply_cap_new(canGrant = true) */
        return c;
    }
    case OBJECT_ARM_VSPACE:
        return cap_make(SEL4_CAP_TAG_VSPACE, paddr, size_bits);
    case OBJECT_ARM_PAGE_TABLE:
        return cap_make(SEL4_CAP_TAG_PAGE_TABLE, paddr, size_bits);
    default: {   /* frames: read-write, unmapped */
        struct cap c = cap_make(SEL4_CAP_TAG_FRAME, paddr, size_bits);
        c.rights = SEL4_CAN_READ | SEL4_CAN_WRITE;
        c.flags = device ? CAP_DEVICE : 0;
        return c;
    }
    }
}

unsigned decode_untyped(struct invocation *inv)
{
    struct cap *untyped = inv->slot;
    if (inv->method != METHOD_UNTYPED_RETYPE)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->length < 6 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t type_arg = inv_arg(inv, 0), user_bits = inv_arg(inv, 1);
    uint64_t node_index = inv_arg(inv, 2), node_depth = inv_arg(inv, 3);
    uint64_t node_offset = inv_arg(inv, 4), node_window = inv_arg(inv, 5);

    enum object_type type = abi_object_type(type_arg);
    if (type == OBJECT_NONE)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    if (user_bits >= SEL4_WORD_BITS ||
        object_size_bits(type, user_bits) > SEL4_MAX_UNTYPED_BITS)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, SEL4_MAX_UNTYPED_BITS);
    unsigned bits = object_size_bits(type, user_bits);
    if (type == OBJECT_CAP_TABLE && user_bits == 0)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);
    if (type == OBJECT_UNTYPED && user_bits < SEL4_MIN_UNTYPED_BITS)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);
    if (type == OBJECT_SCHED_CONTEXT && user_bits < MIN_SCHED_CONTEXT_BITS)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);

    const struct cap *node = inv->extra[0];
    if (node_depth != 0) {
        unsigned error;
        struct cap *slot = cspace_lookup_target(inv->extra[0], node_index, node_depth, &error);
        if (slot == 0)
            return error == SEL4_RANGE_ERROR ? inv_error(inv, error, 2, 1, SEL4_WORD_BITS)
                                             : inv_lookup_error(inv, 0);
        node = slot;
    }
    if (node->tag != SEL4_CAP_TAG_CNODE) {
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_MISSING_CAPABILITY,
                                                      .bits_left = (uint8_t)node_depth };
        return inv_lookup_error(inv, 0);
    }

    uint64_t node_size = UINT64_C(1) << node->size_bits;
    if (node_offset > node_size - 1)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, node_size - 1);
    if (node_window < 1 || node_window > SEL4_RETYPE_FAN_OUT_LIMIT)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 1, SEL4_RETYPE_FAN_OUT_LIMIT);
    if (node_window > node_size - node_offset)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 1, node_size - node_offset);

    struct cap *dest = cnode_slots(node) + node_offset;
    for (uint64_t i = 0; i < node_window; i++)
        if (!cap_is_null(&dest[i]))
            return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);

    /* With no children the whole untyped is free again, whatever the
     * watermark says (seL4 resets it); the stand-in never deletes, so an
     * untyped with children keeps them. */
    uint64_t used = (untyped->flags & CAP_HAS_CHILDREN) ? untyped->watermark : 0;
    uint64_t free_bytes = (UINT64_C(1) << untyped->size_bits) - used;
    /* seL4 compares without alignment: what fits unaligned also fits when
     * packed at the aligned end, because every size is a power of two. */
    if ((free_bytes >> bits) < node_window)
        return inv_error(inv, SEL4_NOT_ENOUGH_MEMORY, 1, free_bytes, 0);
    int device = (untyped->flags & CAP_DEVICE) != 0;
    if (device && !is_frame_type(type) && type != OBJECT_UNTYPED)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);

    uint64_t size = UINT64_C(1) << bits;
    uint64_t first = (untyped->object + used + size - 1) & ~(size - 1);
    /* Untyped children are not cleared: seL4 clears memory when objects are
     * made from it. */
    if (!device && type != OBJECT_UNTYPED)
        memset(paddr_to_kptr(first), 0, size * node_window);
    for (uint64_t i = 0; i < node_window; i++)
        dest[i] = create_object(type, user_bits, first + i * size, bits, device);
    untyped->watermark = first + node_window * size - untyped->object;
    untyped->flags |= CAP_HAS_CHILDREN;
    return SEL4_NO_ERROR;
}
