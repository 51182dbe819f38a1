/* TCB_Configure (non-MCS), TCB_WriteRegisters, TCB_SetPriority,
 * TCB_SetMCPriority and TCB_Resume, with seL4's checks in seL4's order.
 * Other TCB operations answer seL4_IllegalOperation. */
#include <stdbool.h>

#include "invocation.h"
#include "ipc.h"
#include "sched.h"

/* seL4_UserContext order -> our register array (thread.h). */
static const uint8_t user_context_register[] = {
    REG_FAULT_IP, REG_SP_EL0, REG_SPSR,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 29, 30,
    9, 10, 11, 12, 13, 14, 15, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    REG_TPIDR_EL0, REG_TPIDRRO_EL0,
};
#define USER_CONTEXT_WORDS (sizeof user_context_register / sizeof user_context_register[0])
#define SPSR_NZCV_MASK UINT64_C(0xf0000000)

static struct tcb *target(const struct invocation *inv)
{
    return tcb_of_object(inv->slot->object);
}

/* seL4's restart(): a stopped thread (inactive or blocked in IPC, which
 * is cancelled) runs again from its restart PC. */
static void restart(struct tcb *t)
{
    if (t->state == THREAD_RUNNING)
        return;
    ipc_cancel(t);
    t->registers[REG_NEXT_IP] = t->registers[REG_FAULT_IP];
    sched_wake(t);
}

static unsigned configure(struct invocation *inv)
{
    if (inv->length < 4 || inv->extra[0] == 0 || inv->extra[1] == 0 || inv->extra[2] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t cspace_data = inv_arg(inv, 1), vspace_data = inv_arg(inv, 2);
    uint64_t buffer_vaddr = inv_arg(inv, 3);
    struct cap cspace = *inv->extra[0], vspace = *inv->extra[1], buffer = *inv->extra[2];

    if (buffer_vaddr != 0) {
        if (buffer.tag != SEL4_CAP_TAG_FRAME || (buffer.flags & CAP_DEVICE))
            return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
        if (buffer_vaddr & ((UINT64_C(1) << SEL4_IPC_BUFFER_SIZE_BITS) - 1))
            return inv_error(inv, SEL4_ALIGNMENT_ERROR, 0, 0, 0);
    }
    if (cspace_data != 0 && cspace.tag == SEL4_CAP_TAG_CNODE) {
        unsigned guard_size = (unsigned)(cspace_data & 0x3f);
        if (guard_size + cspace.size_bits > SEL4_WORD_BITS)
            cspace = (struct cap){ 0 };
        else {
            cspace.guard_size = (uint8_t)guard_size;
            cspace.guard = guard_size == 0 ? 0 : (cspace_data >> 6) &
                           (guard_size >= 58 ? ~UINT64_C(0) : (UINT64_C(1) << guard_size) - 1);
        }
    }
    if (cspace.tag != SEL4_CAP_TAG_CNODE)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    (void)vspace_data;   /* VSpace caps take no data on AArch64 */
    /* Deriving an unassigned VSpace fails, and only an assigned one is a root. */
    if (vspace.tag != SEL4_CAP_TAG_VSPACE || !(vspace.flags & CAP_MAPPED))
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);

    struct tcb *t = target(inv);
    /* Kept as a cptr, looked up in t's CSpace at each fault (non-MCS). */
    t->fault_handler = inv_arg(inv, 0);
    t->cspace_root = cspace;
    t->vspace_root = vspace;
    t->ipc_buffer_vaddr = buffer_vaddr;
    t->ipc_buffer_frame = buffer_vaddr != 0 ? buffer : (struct cap){ 0 };
    return SEL4_NO_ERROR;
}

static unsigned write_registers(struct invocation *inv)
{
    if (inv->length < 2)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t flags = inv_arg(inv, 0), count = inv_arg(inv, 1);
    if (inv->length - 2 < count)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    struct tcb *t = target(inv);
    if (t == inv->caller)
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    if (count > USER_CONTEXT_WORDS)
        count = USER_CONTEXT_WORDS;
    for (unsigned i = 0; i < count; i++) {
        uint64_t value = inv_arg(inv, 2 + i);
        unsigned reg = user_context_register[i];
        if (reg == REG_SPSR)   /* only the flags are the user's to choose */
            value = (value & SPSR_NZCV_MASK) | SPSR_USER_INITIAL;
        t->registers[reg] = value;
    }
    t->registers[REG_NEXT_IP] = t->registers[REG_FAULT_IP];
    if (flags & 1)
        restart(t);
    return SEL4_NO_ERROR;
}

/* TCB_SetPriority and TCB_SetMCPriority: the same checks (seL4's
 * decodeSetPriority / decodeSetMCPriority), then the one field. */
static unsigned set_priority(struct invocation *inv, bool mcp)
{
    if (inv->length < 1 || inv->extra[0] == 0)
        return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
    uint64_t prio = inv_arg(inv, 0);
    if (inv->extra[0]->tag != SEL4_CAP_TAG_THREAD)
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    struct tcb *auth = tcb_of_object(inv->extra[0]->object);
    if (prio > auth->mcp)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, auth->mcp);
    if (mcp)
        target(inv)->mcp = (uint8_t)prio;
    else
        target(inv)->priority = (uint8_t)prio;
    return SEL4_NO_ERROR;
}

unsigned decode_tcb(struct invocation *inv)
{
    switch (inv->label) {
    case KERNEL_LABEL(SEL4_LABEL_TCB_CONFIGURE):
        return configure(inv);
    case KERNEL_LABEL(SEL4_LABEL_TCB_WRITE_REGISTERS):
        return write_registers(inv);
    case KERNEL_LABEL(SEL4_LABEL_TCB_SET_PRIORITY):
        return set_priority(inv, false);
    case KERNEL_LABEL(SEL4_LABEL_TCB_SET_MC_PRIORITY):
        return set_priority(inv, true);
    case KERNEL_LABEL(SEL4_LABEL_TCB_RESUME):
        restart(target(inv));
        return SEL4_NO_ERROR;
    default:
        return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
    }
}
