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
    return c;
}

/* seL4's updateCapData (not preserving): a badge goes only on an unbadged
 * endpoint, a guard only where guard and radix fit in a word. */
static struct cap update_data(struct cap c, uint64_t data)
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
static unsigned derive(const struct cap *src, struct cap *out)
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

unsigned decode_cnode(struct invocation *inv)
{
    if (inv->label != KERNEL_LABEL(SEL4_LABEL_CNODE_COPY) &&
        inv->label != KERNEL_LABEL(SEL4_LABEL_CNODE_MINT))
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->length < 2)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    unsigned error;
    struct cap *dest = cspace_lookup_target(inv->slot, inv_arg(inv, 0), inv_arg(inv, 1), &error);
    if (dest == 0)
        return inv_error(inv, error, error == SEL4_RANGE_ERROR ? 2 : 1,
                         error == SEL4_RANGE_ERROR ? 1 : 0, SEL4_WORD_BITS);
    if (inv->length < 4 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    if (!cap_is_null(dest))
        return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    struct cap *src = cspace_lookup_target(inv->extra[0], inv_arg(inv, 2), inv_arg(inv, 3), &error);
    if (src == 0)
        return inv_error(inv, error, error == SEL4_RANGE_ERROR ? 2 : 1,
                         1, SEL4_WORD_BITS);
    if (cap_is_null(src))
        return inv_error(inv, SEL4_FAILED_LOOKUP, 1, 1, 0);

    if (inv->length < (inv->label == KERNEL_LABEL(SEL4_LABEL_CNODE_MINT) ? 6u : 5u))
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    struct cap new_cap = mask_rights(*src, inv_arg(inv, 4));
    if (inv->label == KERNEL_LABEL(SEL4_LABEL_CNODE_MINT))
        new_cap = update_data(new_cap, inv_arg(inv, 5));
    struct cap derived;
    unsigned status = derive(&new_cap, &derived);
    if (status != SEL4_NO_ERROR)
        return inv_error(inv, status, 0, 0, 0);
    if (cap_is_null(&derived))
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    /* Untyped children are tracked on the original only (the stand-in has
     * no derivation tree): a copied untyped starts with no children. */
    *dest = derived;
    return SEL4_NO_ERROR;
}
