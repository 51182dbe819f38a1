#include "handoff_record.h"

#include "../../common/cpio.h"
#include "../../common/handoff_record.h"
#include "mutations.h"
#include "power.h"
#include "uart.h"

extern uint8_t _payload_start[], _payload_end[];

/* The member: the record's physical address, 8 bytes little-endian. CPIO
 * aligns members to 4 only, so it is read byte by byte. */
static uint64_t record_paddr(const struct cpio_member *m)
{
    if (m->size != HANDOFF_RECORD_MEMBER_SIZE)
        loader_fail("%s is %lu bytes; it must be %u (the record's physical address, little-endian)",
                    PAYLOAD_HANDOFF_RECORD, (unsigned long)m->size, HANDOFF_RECORD_MEMBER_SIZE);
    uint64_t pa = 0;
    for (unsigned i = 0; i < HANDOFF_RECORD_MEMBER_SIZE; i++)
        pa |= (uint64_t)m->data[i] << (8 * i);
    return pa;
}

/* Called only for an image packed with the protocol (payload_has_handoff_record). */
void handoff_record_write(const struct boot_plan *plan)
{
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    int found = cpio_find(_payload_start, (uint64_t)(_payload_end - _payload_start),
                          PAYLOAD_HANDOFF_RECORD, &m, err);
    if (found < 0)
        loader_fail("%s", err);
    if (found == 0)
        loader_fail("the image was packed with a hand-off record but the payload has no %s",
                    PAYLOAD_HANDOFF_RECORD);
    uint64_t pa = record_paddr(&m);
    const uint64_t size = sizeof(struct handoff_record);
    /* Only the kernel's own variable may be written: anywhere else the record
     * would land on the DTB, the root task, the loader or outside RAM. */
    if (pa % 8 != 0 || pa < plan->kernel_phys.start || pa > plan->kernel_phys.end ||
        size > plan->kernel_phys.end - pa)
        loader_fail("hand-off record at paddr [0x%lx..0x%lx) is not an 8-byte aligned range inside"
                    " the kernel image [0x%lx..0x%lx)", (unsigned long)pa,
                    (unsigned long)(pa + size), (unsigned long)plan->kernel_phys.start,
                    (unsigned long)plan->kernel_phys.end);

    /* Plain data the kernel reads through the same cacheable mapping: no
     * cache maintenance (see cache_sync_code in enter.h). */
    volatile struct handoff_record *r = (volatile struct handoff_record *)(uintptr_t)pa;
    r->magic = HANDOFF_RECORD_MAGIC;
    r->version = HANDOFF_RECORD_VERSION;
    r->p_reg_start = plan->user_phys.start;
    r->p_reg_end = plan->user_phys.end;
    r->v_reg_start = plan->user_virt.start;
    r->v_reg_end = plan->user_virt.end;
    r->v_entry = plan->handoff[3];
    r->extra_bi = plan->handoff[4];
    r->extra_bi_size = plan->handoff[5];
#ifdef BC_MUTATE_WRONG_RECORD
    r->pv_offset = plan->user_pv_offset + PLAN_PAGE;
#else
    r->pv_offset = plan->user_pv_offset;
#endif
    uart_printf("loader: hand-off record written at 0x%lx (%lu bytes)\n", (unsigned long)pa,
                (unsigned long)size);
}
