/* CNode_Copy and CNode_Mint (decodeCNodeInvocation's order of checks).
 * The other CNode operations (Move, Mutate, Delete, Revoke, ...) are not
 * offered: they answer seL4_IllegalOperation. */
#include "cap_rights.h"
#include "cspace.h"
#include "invocation.h"

/* seL4's maskCapRights: only endpoint-like and frame caps carry rights. */
static struct cap mask_rights(struct cap c, uint64_t mask)
{
    if (c.tag == SEL4_CAP_TAG_FRAME)
        c.rights = frame_mask_rights(c.rights, mask);
    else if (c.tag == SEL4_CAP_TAG_ENDPOINT || c.tag == SEL4_CAP_TAG_NOTIFICATION)
        c.rights &= (uint8_t)mask;
    else if (CONFIG_KERNEL_MCS && c.tag == SEL4_CAP_TAG_REPLY)
        c.rights &= (uint8_t)(mask & SEL4_CAN_GRANT);   /* a reply cap has only Grant */
    return c;
}

/* seL4's updateCapData (not preserving): a badge goes only on an unbadged
 * endpoint, a guard only where guard and radix fit in a word. */
struct cap update_cap_data(struct cap c, uint64_t data)
{
    if (c.tag == SEL4_CAP_TAG_ENDPOINT || c.tag == SEL4_CAP_TAG_NOTIFICATION) {
        if (c.badge != 0)
            return (struct cap){ 0 };
        c.badge = data;
    } else if (c.tag == SEL4_CAP_TAG_CNODE) {
        unsigned guard_size = (unsigned)(data & 0x3f);
        if (guard_size + c.size_bits > SEL4_WORD_BITS)
            return (struct cap){ 0 };
        c.guard_size = (uint8_t)guard_size;
        c.guard = (data >> 6) & (guard_size >= 58 ? ~UINT64_C(0) : (UINT64_C(1) << guard_size) - 1);
    }
    return c;
}

/* seL4's deriveCap. Returns an error code; *out may be a null cap. */
unsigned derive_cap(const struct cap *src, struct cap *out)
{
    *out = *src;
    switch (src->tag) {
    case SEL4_CAP_TAG_UNTYPED:
        if (src->flags & CAP_HAS_CHILDREN)
            return SEL4_REVOKE_FIRST;
        return SEL4_NO_ERROR;
    case SEL4_CAP_TAG_VSPACE:
    case SEL4_CAP_TAG_PAGE_TABLE:
        return (src->flags & CAP_MAPPED) ? SEL4_NO_ERROR : SEL4_ILLEGAL_OPERATION;
    case SEL4_CAP_TAG_FRAME:
        /* A copy of a frame cap is never mapped. */
        out->flags &= (uint8_t)~CAP_MAPPED;
        out->asid = 0;
        return SEL4_NO_ERROR;
    case SEL4_CAP_TAG_IRQ_CONTROL:
        *out = (struct cap){ 0 };
        return SEL4_NO_ERROR;
    default:
        return SEL4_NO_ERROR;
    }
}

/* A failed lookupTargetSlot / lookupSourceSlot: RangeError for a bad
 * depth, else FailedLookup with current_lookup_fault. */
static unsigned lookup_error(struct invocation *inv, unsigned error, int was_source)
{
    if (error == SEL4_RANGE_ERROR)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 1, SEL4_WORD_BITS);
    return inv_lookup_error(inv, was_source);
}

unsigned decode_cnode(struct invocation *inv)
{
    int mint = inv->method == SEL4_METHOD_CNodeMint;
    if (inv->method != SEL4_METHOD_CNodeCopy && !mint)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->length < 2)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    unsigned error;
    struct cap *dest = cspace_lookup_target(inv->slot, inv_arg(inv, 0), inv_arg(inv, 1), &error);
    if (dest == 0)
        return lookup_error(inv, error, 0);
    if (inv->length < 4 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    if (!cap_is_null(dest))
        return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    uint64_t src_depth = inv_arg(inv, 3);
    struct cap *src = cspace_lookup_target(inv->extra[0], inv_arg(inv, 2), src_depth, &error);
    if (src == 0)
        return lookup_error(inv, error, 1);
    if (cap_is_null(src)) {
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_MISSING_CAPABILITY,
                                                      .bits_left = (uint8_t)src_depth };
        return inv_lookup_error(inv, 1);
    }

    if (inv->length < (mint ? 6u : 5u))
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    struct cap new_cap = mask_rights(*src, inv_arg(inv, 4));
    if (mint)
        new_cap = update_cap_data(new_cap, inv_arg(inv, 5));
    struct cap derived;
    unsigned status = derive_cap(&new_cap, &derived);
    if (status != SEL4_NO_ERROR)
        return inv_error(inv, status, 0, 0, 0);
    if (cap_is_null(&derived))
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    /* Untyped children are tracked on the original only (the stand-in has
     * no derivation tree): a copied untyped starts with no children. */
    *dest = derived;
    return SEL4_NO_ERROR;
}
