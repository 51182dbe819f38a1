/* ARMPageTableMap, ARMPageMap and ARMASIDPoolAssign (seL4's aarch64
 * decoders, unchanged 13.0.0 .. 16.0.0; checks in their order). Unmap and the cache operations are not
 * offered: they answer seL4_IllegalOperation. */
#include "cap_rights.h"
#include "config.h"
#include "cspace.h"
#include "pagetable.h"
#include "invocation.h"
#include "vspace.h"

#define ASID_POOL_ENTRIES 512   /* 2^asidLowBits: one pool, ASIDs 0..511 */

static uint64_t *asid_pool(void)
{
    return (uint64_t *)paddr_to_kptr(asid_pool_paddr);
}

/* seL4's isValidNativeRoot: a VSpace cap that has an ASID. */
static int is_valid_root(const struct cap *c)
{
    return c->tag == SEL4_CAP_TAG_VSPACE && (c->flags & CAP_MAPPED);
}

/* seL4's findVSpaceForASID plus the "is it this VSpace" comparison. */
static unsigned check_root_current(const struct cap *root)
{
    if (root->asid == 0 || root->asid >= ASID_POOL_ENTRIES || asid_pool()[root->asid] == 0)
        return SEL4_FAILED_LOOKUP;
    if (asid_pool()[root->asid] != (uint64_t)(uintptr_t)paddr_to_kptr(root->object))
        return SEL4_INVALID_CAPABILITY;
    return SEL4_NO_ERROR;
}

/* findVSpaceForASID failing is FailedLookup on an invalid root (seL4 sets
 * current_lookup_fault so); a different VSpace there, InvalidCapability 1. */
static unsigned root_error(struct invocation *inv, unsigned status)
{
    if (status == SEL4_FAILED_LOOKUP) {
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_INVALID_ROOT };
        return inv_lookup_error(inv, 0);
    }
    return inv_error(inv, status, 1, 1, 0);
}

unsigned decode_page_table(struct invocation *inv)
{
    struct cap *pt = inv->slot;
    if (inv->method != SEL4_METHOD_ARMPageTableMap)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->length < 2 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    if (pt->flags & CAP_MAPPED)
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 0, 0);
    uint64_t vaddr = inv_arg(inv, 0);
    const struct cap *root = inv->extra[0];
    if (!is_valid_root(root))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    if (vaddr > USER_TOP)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    unsigned status = check_root_current(root);
    if (status != SEL4_NO_ERROR)
        return root_error(inv, status);
    unsigned bits_left;
    uint64_t *slot = user_vspace_lookup_slot(paddr_to_kptr(root->object), vaddr, &bits_left);
    if (bits_left == SEL4_PAGE_BITS || (*slot & PTE_VALID))
        return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    user_vspace_write_entry(slot, user_table_entry(pt->object));
    pt->flags |= CAP_MAPPED;
    pt->asid = root->asid;
    pt->mapped_vaddr = vaddr & ~((UINT64_C(1) << bits_left) - 1);
    return SEL4_NO_ERROR;
}

unsigned decode_frame(struct invocation *inv)
{
    struct cap *frame = inv->slot;
    if (inv->method != SEL4_METHOD_ARMPageMap)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->length < 3 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t vaddr = inv_arg(inv, 0), rights_mask = inv_arg(inv, 1), attr = inv_arg(inv, 2);
    const struct cap *root = inv->extra[0];
    uint8_t rights = frame_mask_rights(frame->rights, rights_mask);
    if (!is_valid_root(root))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    unsigned status = check_root_current(root);
    if (status != SEL4_NO_ERROR)
        return root_error(inv, status);
    uint64_t size = UINT64_C(1) << frame->size_bits;
    if (vaddr & (size - 1))
        return inv_error(inv, SEL4_ALIGNMENT_ERROR, 0, 0, 0);
    if (frame->flags & CAP_MAPPED) {
        /* Re-mapping is allowed only in place (to change rights). */
        if (frame->asid != root->asid)
            return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
        if (frame->mapped_vaddr != vaddr)
            return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    } else if (vaddr + size - 1 > USER_TOP) {
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    }
    unsigned bits_left;
    uint64_t *slot = user_vspace_lookup_slot(paddr_to_kptr(root->object), vaddr, &bits_left);
    if (bits_left != frame->size_bits) {
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_MISSING_CAPABILITY,
                                                      .bits_left = (uint8_t)bits_left };
        return inv_lookup_error(inv, 0);
    }
    enum user_vm_rights vm = rights == (SEL4_CAN_READ | SEL4_CAN_WRITE) ? VM_READ_WRITE
                           : rights == SEL4_CAN_READ                    ? VM_READ_ONLY
                                                                        : VM_KERNEL_ONLY;
    user_vspace_write_entry(slot, user_page_entry(frame->object, vm,
                                                  (attr & SEL4_ARM_PAGE_CACHEABLE) != 0,
                                                  (attr & SEL4_ARM_EXECUTE_NEVER) != 0));
    frame->flags |= CAP_MAPPED;
    frame->asid = root->asid;
    frame->mapped_vaddr = vaddr;
    return SEL4_NO_ERROR;
}

unsigned decode_asid_pool(struct invocation *inv)
{
    if (inv->method != SEL4_METHOD_ARMASIDPoolAssign)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    struct cap *vspace = inv->extra[0];
    if (vspace->tag != SEL4_CAP_TAG_VSPACE || (vspace->flags & CAP_MAPPED))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    if (inv->slot->object != asid_pool_paddr)
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 0, 0);
    /* ASID 0 is never handed out. */
    unsigned asid = 1;
    while (asid < ASID_POOL_ENTRIES && asid_pool()[asid] != 0)
        asid++;
    if (asid == ASID_POOL_ENTRIES)
        return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    asid_pool()[asid] = (uint64_t)(uintptr_t)paddr_to_kptr(vspace->object);
    vspace->flags |= CAP_MAPPED;
    vspace->asid = (uint16_t)asid;
    return SEL4_NO_ERROR;
}
