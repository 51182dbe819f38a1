/* RISC-V page-table, page and ASID-pool invocations (seL4's
 * decodeRISCVMMUInvocation, 13.0.0 .. 16.0.0; checks in its order). On
 * RISC-V a VSpace is its root page table: a page-table cap that an ASID
 * pool assigned (mapped, address 0, its ASID's pool entry naming it).
 * Not offered (seL4_IllegalOperation): ASIDControl_MakePool (one pool, the
 * root task's) and the IRQ invocations. PageTable_Unmap does not check
 * that the cap is the last one to the table (the stand-in keeps no cap
 * derivation tree). */
#include "cap_rights.h"
#include "config.h"
#include "cspace.h"
#include "invocation.h"
#include "vspace.h"

#define ASID_POOL_ENTRIES 512   /* 2^asidLowBits: one pool, ASIDs 0..511 */

static uint64_t *asid_pool(void)
{
    return (uint64_t *)paddr_to_kptr(asid_pool_paddr);
}

/* seL4's findVSpaceForASID: the root's kernel pointer, or 0 (its caller
 * then reports an invalid-root lookup failure). */
static uint64_t *find_vspace(unsigned asid)
{
    if (asid >= ASID_POOL_ENTRIES)
        return 0;
    return (uint64_t *)(uintptr_t)asid_pool()[asid];
}

/* seL4's isValidNativeRoot: a page-table cap that is mapped. */
static int is_valid_root(const struct cap *c)
{
    return c->tag == SEL4_CAP_TAG_PAGE_TABLE && (c->flags & CAP_MAPPED);
}

/* The root cap's VSpace when its ASID names it; else the error reply. */
static unsigned check_root(struct invocation *inv, const struct cap *root, uint64_t **vspace)
{
    *vspace = find_vspace(root->asid);
    if (*vspace == 0) {
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_INVALID_ROOT };
        return inv_lookup_error(inv, 0);
    }
    if (*vspace != paddr_to_kptr(root->object))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    return SEL4_NO_ERROR;
}

static unsigned page_table_unmap(struct invocation *inv)
{
    struct cap *pt = inv->slot;
    if (pt->flags & CAP_MAPPED) {
        uint64_t *target = paddr_to_kptr(pt->object);
        uint64_t *vspace = find_vspace(pt->asid);
        if (vspace == target)
            return inv_error(inv, SEL4_REVOKE_FIRST, 0, 0, 0);
        /* seL4's unmapPageTable: walk down to the entry naming the table. */
        if (vspace != 0) {
            uint64_t *table = vspace, *slot = 0;
            for (unsigned level = 0; level < 2 && table != target; level++) {
                slot = &table[(pt->mapped_vaddr >> (30 - 9 * level)) & 511];
                if (!user_pte_is_table(*slot))
                    break;
                table = paddr_to_kptr(user_pte_paddr(*slot));
            }
            if (table == target && slot != 0)
                user_vspace_write_entry(slot, 0);
        }
        for (unsigned i = 0; i < 512; i++)
            target[i] = 0;
    }
    pt->flags &= (uint8_t)~CAP_MAPPED;
    return SEL4_NO_ERROR;
}

unsigned decode_page_table(struct invocation *inv)
{
    struct cap *pt = inv->slot;
    if (inv->method == SEL4_METHOD_RISCVPageTableUnmap)
        return page_table_unmap(inv);
    if (inv->method != SEL4_METHOD_RISCVPageTableMap)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->length < 2 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    if (pt->flags & CAP_MAPPED)
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 0, 0);
    uint64_t vaddr = inv_arg(inv, 0);
    const struct cap *root = inv->extra[0];
    if (!is_valid_root(root))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    if (vaddr >= USER_TOP)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    uint64_t *vspace;
    unsigned status = check_root(inv, root, &vspace);
    if (status != SEL4_NO_ERROR)
        return status;
    unsigned bits_left;
    uint64_t *slot = user_vspace_lookup_slot(vspace, vaddr, &bits_left);
    if (bits_left == SEL4_PAGE_BITS || (*slot & PTE_VALID))
        return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    user_vspace_write_entry(slot, user_table_entry(pt->object));
    pt->flags |= CAP_MAPPED;
    pt->asid = root->asid;
    pt->mapped_vaddr = vaddr & ~((UINT64_C(1) << bits_left) - 1);
    return SEL4_NO_ERROR;
}

static unsigned page_map(struct invocation *inv)
{
    struct cap *frame = inv->slot;
    if (inv->length < 3 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t vaddr = inv_arg(inv, 0), rights_mask = inv_arg(inv, 1), attr = inv_arg(inv, 2);
    const struct cap *root = inv->extra[0];
    if (!is_valid_root(root))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    uint64_t *vspace;
    unsigned status = check_root(inv, root, &vspace);
    if (status != SEL4_NO_ERROR)
        return status;
    uint64_t size = UINT64_C(1) << frame->size_bits;
    if (vaddr + size - 1 >= USER_TOP)
        return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
    if (vaddr & (size - 1))
        return inv_error(inv, SEL4_ALIGNMENT_ERROR, 0, 0, 0);
    unsigned bits_left;
    uint64_t *slot = user_vspace_lookup_slot(vspace, vaddr, &bits_left);
    if (bits_left != frame->size_bits) {
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_MISSING_CAPABILITY,
                                                      .bits_left = (uint8_t)bits_left };
        return inv_lookup_error(inv, 0);
    }
    if (frame->flags & CAP_MAPPED) {
        /* Re-mapping is allowed only in place (to change rights). */
        if (frame->asid != root->asid)
            return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
        if (frame->mapped_vaddr != vaddr)
            return inv_error(inv, SEL4_INVALID_ARGUMENT, 1, 0, 0);
        if (user_pte_is_table(*slot))
            return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    } else if (*slot & PTE_VALID) {
        return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    }
    uint8_t rights = frame_mask_rights(frame->rights, rights_mask);
    enum user_vm_rights vm = rights == (SEL4_CAN_READ | SEL4_CAN_WRITE) ? VM_READ_WRITE
                           : rights == SEL4_CAN_READ                    ? VM_READ_ONLY
                                                                        : VM_KERNEL_ONLY;
    /* seL4_RISCV_VMAttributes: bit 0 is ExecuteNever, nothing else. */
    int executable = (attr & 1) == 0;
    user_vspace_write_entry(slot, user_page_entry(frame->object, vm, executable));
    frame->flags |= CAP_MAPPED;
    frame->asid = root->asid;
    frame->mapped_vaddr = vaddr;
    return SEL4_NO_ERROR;
}

/* seL4's unmapPage: clears the entry only while it still maps this frame. */
static unsigned page_unmap(struct invocation *inv)
{
    struct cap *frame = inv->slot;
    if (frame->flags & CAP_MAPPED) {
        uint64_t *vspace = find_vspace(frame->asid);
        if (vspace != 0) {
            unsigned bits_left;
            uint64_t *slot = user_vspace_lookup_slot(vspace, frame->mapped_vaddr, &bits_left);
            if (bits_left == frame->size_bits && (*slot & PTE_VALID) &&
                !user_pte_is_table(*slot) && user_pte_paddr(*slot) == frame->object)
                user_vspace_write_entry(slot, 0);
        }
    }
    frame->flags &= (uint8_t)~CAP_MAPPED;
    frame->asid = 0;
    frame->mapped_vaddr = 0;
    return SEL4_NO_ERROR;
}

unsigned decode_frame(struct invocation *inv)
{
    if (inv->method == SEL4_METHOD_RISCVPageMap)
        return page_map(inv);
    if (inv->method == SEL4_METHOD_RISCVPageUnmap)
        return page_unmap(inv);
    if (inv->method == SEL4_METHOD_RISCVPageGetAddress) {
        /* The reply (on a Call) is one word: the frame's physical address. */
        inv->reply_length = 1;
        inv->reply[0] = inv->slot->object;
        return SEL4_NO_ERROR;
    }
    return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
}

unsigned decode_asid_pool(struct invocation *inv)
{
    if (inv->method != SEL4_METHOD_RISCVASIDPoolAssign)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    struct cap *vspace = inv->extra[0];
    if (vspace->tag != SEL4_CAP_TAG_PAGE_TABLE || (vspace->flags & CAP_MAPPED))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    if (inv->slot->object != asid_pool_paddr)
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 0, 0);
    /* ASID 0 is never handed out. */
    unsigned asid = 1;
    while (asid < ASID_POOL_ENTRIES && asid_pool()[asid] != 0)
        asid++;
    if (asid == ASID_POOL_ENTRIES)
        return inv_error(inv, SEL4_DELETE_FIRST, 0, 0, 0);
    uint64_t *root = paddr_to_kptr(vspace->object);
    vspace->flags |= CAP_MAPPED;
    vspace->asid = (uint16_t)asid;
    vspace->mapped_vaddr = 0;
    user_vspace_copy_global(root);
    asid_pool()[asid] = (uint64_t)(uintptr_t)root;
    return SEL4_NO_ERROR;
}
