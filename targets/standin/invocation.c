#include "invocation.h"

#include "vspace.h"

seL4_IPCBuffer *thread_ipc_buffer(const struct tcb *t)
{
    if (t->ipc_buffer_vaddr == 0 || t->ipc_buffer_frame.tag != SEL4_CAP_TAG_FRAME)
        return 0;
    uint64_t offset = t->ipc_buffer_vaddr & ((UINT64_C(1) << t->ipc_buffer_frame.size_bits) - 1);
    return paddr_to_kptr(t->ipc_buffer_frame.object + offset);
}

uint64_t inv_arg(const struct invocation *inv, unsigned i)
{
    if (i < SEL4_FAST_MESSAGE_REGISTERS)
        return inv->caller->registers[2 + i];
    seL4_IPCBuffer *buffer = thread_ipc_buffer(inv->caller);
    /* seL4 reads the IPC buffer only up to the message length it checked;
     * without a buffer those words read as 0 here. */
    return buffer != 0 && i < SEL4_MSG_MAX_LENGTH ? buffer->msg[i] : 0;
}

unsigned inv_error(struct invocation *inv, unsigned code, unsigned n, uint64_t mr0, uint64_t mr1)
{
    inv->error_length = n;
    inv->error_mr[0] = mr0;
    inv->error_mr[1] = mr1;
    return code;
}

unsigned decode_invocation(struct invocation *inv)
{
    switch (inv->slot->tag) {
    case SEL4_CAP_TAG_NULL:
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 0, 0);
    case SEL4_CAP_TAG_UNTYPED:
        return decode_untyped(inv);
    case SEL4_CAP_TAG_CNODE:
        return decode_cnode(inv);
    case SEL4_CAP_TAG_THREAD:
        return decode_tcb(inv);
    case SEL4_CAP_TAG_FRAME:
        return decode_frame(inv);
    case SEL4_CAP_TAG_PAGE_TABLE:
        return decode_page_table(inv);
    case SEL4_CAP_TAG_ASID_POOL:
        return decode_asid_pool(inv);
    default:
        /* ASID control, IRQ control, domain, VSpace: operations the
         * stand-in does not offer. */
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    }
}
