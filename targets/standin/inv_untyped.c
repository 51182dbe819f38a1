/* Untyped_Retype: seL4's checks in seL4's order (decodeUntypedInvocation),
 * then objects carved from the untyped's watermark, each aligned to its own
 * size and zeroed, their caps written to the destination window. */
#include "invocation.h"
#include "cspace.h"
#include "kstring.h"
#include "sched.h"
#include "vspace.h"

#define MAX_OBJECT_BITS 64   /* marks a size the type cannot have */

/* seL4's getObjectSize; Untyped and SchedContext take the size asked for. */
static unsigned object_size_bits(enum sel4_object type, uint64_t user_size_bits)
{
    switch (type) {
    case SEL4_OBJECT_Untyped:
    case SEL4_OBJECT_SchedContext:
        return (unsigned)user_size_bits;
    case SEL4_OBJECT_CapTable:
        return (unsigned)user_size_bits + abi_object_bits(SEL4_OBJECT_CapTable);
    case SEL4_OBJECT_COUNT:
        return MAX_OBJECT_BITS;
    default:
        return abi_object_bits(type);
    }
}

static int is_frame_type(enum sel4_object type)
{
    return type == SEL4_OBJECT_ARM_SmallPage || type == SEL4_OBJECT_ARM_LargePage ||
           type == SEL4_OBJECT_ARM_HugePage || type == SEL4_OBJECT_RISCV_4K_Page ||
           type == SEL4_OBJECT_RISCV_Mega_Page || type == SEL4_OBJECT_RISCV_Giga_Page;
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
    unsigned n = append_name(tcb_ext(t)->name, 0, "child of: '");
    n = append_name(tcb_ext(t)->name, n, tcb_ext(ksCurThread)->name);
    append_name(tcb_ext(t)->name, n, "'");
    t->registers[REG_STATUS] = USER_STATUS_INITIAL;
    t->state = THREAD_INACTIVE;
    sched_add(t);
}

/* The new object's cap; the memory is already zeroed (except device memory). */
static struct cap create_object(enum sel4_object type, uint64_t user_size_bits, uint64_t paddr,
                                unsigned size_bits, int device)
{
    switch (type) {
    case SEL4_OBJECT_Untyped: {
        struct cap c = cap_make(SEL4_CAP_TAG_UNTYPED, paddr, size_bits);
        c.flags = device ? CAP_DEVICE : 0;
        return c;
    }
    case SEL4_OBJECT_TCB:
        init_tcb(paddr);
        return cap_make(SEL4_CAP_TAG_THREAD, paddr, size_bits);
    case SEL4_OBJECT_Endpoint:
        return cap_make(SEL4_CAP_TAG_ENDPOINT, paddr, size_bits);
    case SEL4_OBJECT_Notification:
        return cap_make(SEL4_CAP_TAG_NOTIFICATION, paddr, size_bits);
    case SEL4_OBJECT_CapTable:
        return cap_make(SEL4_CAP_TAG_CNODE, paddr, (unsigned)user_size_bits);
    case SEL4_OBJECT_SchedContext:
        return cap_make(CAP_TAG_SCHED_CONTEXT, paddr, size_bits);
    case SEL4_OBJECT_Reply: {
        struct cap c = cap_make(SEL4_CAP_TAG_REPLY, paddr, size_bits);
        c.rights = SEL4_CAN_GRANT;   /* seL4's cap_reply_cap_new(canGrant = true) */
        return c;
    }
    case SEL4_OBJECT_ARM_VSpace:
        return cap_make(SEL4_CAP_TAG_VSPACE, paddr, size_bits);
    case SEL4_OBJECT_ARM_PageTable:
    case SEL4_OBJECT_RISCV_PageTable:   /* a RISC-V VSpace too, once an ASID pool assigns it */
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
    if (inv->method != SEL4_METHOD_UntypedRetype)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->length < 6 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t type_arg = inv_arg(inv, 0), user_bits = inv_arg(inv, 1);
    uint64_t node_index = inv_arg(inv, 2), node_depth = inv_arg(inv, 3);
    uint64_t node_offset = inv_arg(inv, 4), node_window = inv_arg(inv, 5);

    enum sel4_object type = abi_object_type(type_arg);
    if (type == SEL4_OBJECT_COUNT)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    if (user_bits >= SEL4_WORD_BITS ||
        object_size_bits(type, user_bits) > SEL4_MAX_UNTYPED_BITS)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, SEL4_MAX_UNTYPED_BITS);
    unsigned bits = object_size_bits(type, user_bits);
    if (type == SEL4_OBJECT_CapTable && user_bits == 0)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);
    /* The table's size of these two is their minimum (seL4_MinUntypedBits,
     * seL4_MinSchedContextBits). */
    if ((type == SEL4_OBJECT_Untyped || type == SEL4_OBJECT_SchedContext) &&
        user_bits < abi_object_bits(type))
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
    if (device && !is_frame_type(type) && type != SEL4_OBJECT_Untyped)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 1, 0);

    uint64_t size = UINT64_C(1) << bits;
    uint64_t first = (untyped->object + used + size - 1) & ~(size - 1);
    /* Untyped children are not cleared: seL4 clears memory when objects are
     * made from it. */
    if (!device && type != SEL4_OBJECT_Untyped)
        memset(paddr_to_kptr(first), 0, size * node_window);
    for (uint64_t i = 0; i < node_window; i++)
        dest[i] = create_object(type, user_bits, first + i * size, bits, device);
    untyped->watermark = first + node_window * size - untyped->object;
    untyped->flags |= CAP_HAS_CHILDREN;
    return SEL4_NO_ERROR;
}
