#include "invocation.h"

#include "cspace.h"
#include "ipc.h"
#include "vspace.h"

struct syscall_error current_syscall_error;

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
        return inv->caller->registers[REG_MR(i)];
    seL4_IPCBuffer *buffer = thread_ipc_buffer(inv->caller);
    /* seL4 reads the IPC buffer only up to the message length it checked;
     * without a buffer those words read as 0 here. */
    return buffer != 0 && i < SEL4_MSG_MAX_LENGTH ? buffer->msg[i] : 0;
}

unsigned inv_error(struct invocation *inv, unsigned code, unsigned n, uint64_t mr0, uint64_t mr1)
{
    (void)inv;
    current_syscall_error = (struct syscall_error){ .code = code, .length = n, .mr = { mr0, mr1 } };
    return code;
}

unsigned inv_lookup_error(struct invocation *inv, int was_source)
{
    /* seL4's setMRs_syscall_error + setMRs_lookup_failure from MR1: the
     * kernel's lookup_fault tags are seL4_LookupFailureType - 1. */
    const struct lookup_fault *l = &current_lookup_fault;
    struct syscall_error e = { .code = SEL4_FAILED_LOOKUP, .length = 2,
                               .mr = { (uint64_t)(was_source != 0),
                                       SEL4_LOOKUP_INVALID_ROOT + (uint64_t)l->type } };
    switch (l->type) {
    case LOOKUP_MISSING_CAPABILITY:
        e.mr[e.length++] = l->bits_left;
        break;
    case LOOKUP_DEPTH_MISMATCH:
        e.mr[e.length++] = l->bits_left;
        e.mr[e.length++] = l->bits_found;
        break;
    case LOOKUP_GUARD_MISMATCH:
        e.mr[e.length++] = l->bits_left;
        e.mr[e.length++] = l->guard_found;
        e.mr[e.length++] = l->bits_found;
        break;
    default:
        break;
    }
    (void)inv;
    current_syscall_error = e;
    return e.code;
}

unsigned inv_error_unset(struct invocation *inv)
{
    (void)inv;
    return current_syscall_error.code;
}

/* seL4 refuses some caps in the first phase of ReplyRecv, NBSendRecv and
 * NBSendWait (the send to x6/x8): no kernel object may be changed there. */
static int refused_in_first_phase(const struct invocation *inv)
{
    if (!CONFIG_KERNEL_MCS || !inv->first_phase)
        return 0;
    switch (inv->slot->tag) {
    case SEL4_CAP_TAG_THREAD:
    case SEL4_CAP_TAG_DOMAIN:
    case SEL4_CAP_TAG_CNODE:
    case CAP_TAG_SCHED_CONTROL:
    case CAP_TAG_SCHED_CONTEXT:
        return 1;
    default:
        return 0;
    }
}

unsigned decode_invocation(struct invocation *inv)
{
    if (refused_in_first_phase(inv))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 0, 0);
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
    case SEL4_CAP_TAG_DOMAIN:
        return decode_domain(inv);
#if CONFIG_KERNEL_MCS
    case SEL4_CAP_TAG_REPLY:
        ipc_reply_with_object(inv->caller, inv->slot);
        return SEL4_NO_ERROR;
    case CAP_TAG_SCHED_CONTEXT:
        return decode_sched_context(inv);
    case CAP_TAG_SCHED_CONTROL:
        return decode_sched_control(inv);
#endif
    default:
        /* ASID control, IRQ control, VSpace: operations the stand-in
         * does not offer. */
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    }
}
