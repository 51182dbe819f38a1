/* TCB invocations with seL4's checks in seL4's order (decodeTCBInvocation):
 * Configure, SetSpace, SetIPCBuffer, SetPriority, SetMCPriority,
 * SetSchedParams, WriteRegisters, Suspend, Resume, and on MCS
 * SetTimeoutEndpoint. Non-MCS and MCS differ where seL4's do: the fault
 * handler is a cptr kept in the TCB (non-MCS: Configure, SetSpace) or a cap
 * installed in it (MCS: SetSpace, SetSchedParams), and SetSchedParams binds
 * a SchedContext on MCS. The other TCB operations answer
 * seL4_IllegalOperation. */
#include <stdbool.h>

#include "invocation.h"
#include "ipc.h"
#include "release.h"
#include "sched.h"
#if CONFIG_KERNEL_MCS
#include "sched_context.h"
#endif

/* seL4_UserContext order -> our register array (thread.h). */
static const uint8_t user_context_register[] = USER_CONTEXT_REGISTERS;
#define USER_CONTEXT_WORDS (sizeof user_context_register / sizeof user_context_register[0])

static struct tcb *target(const struct invocation *inv)
{
    return tcb_of_object(inv->slot->object);
}

static unsigned truncated(struct invocation *inv)
{
    return inv_error(inv, SEL4_TRUNCATED_MESSAGE, 0, 0, 0);
}

static unsigned illegal(struct invocation *inv)
{
    return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
}

/* seL4's restart(): a stopped thread (inactive or blocked in IPC, which
 * is cancelled) runs again from its restart PC; on MCS only once it has a
 * SchedContext. */
static void restart(struct tcb *t)
{
    if (sched_runnable(t))
        return;
    ipc_cancel(t);
    t->registers[REG_NEXT_IP] = t->registers[REG_FAULT_IP];
    sched_wake(t);
}

/* seL4's suspend(): IPC cancelled; a running thread will restart where it
 * would have continued. */
static void suspend(struct tcb *t)
{
    ipc_cancel(t);
    if (sched_runnable(t))
        t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP];
    sched_set_state(t, THREAD_INACTIVE);
}

/* seL4's checkValidIPCBuffer, after deriving the buffer cap. */
static unsigned check_ipc_buffer(struct invocation *inv, uint64_t vaddr, const struct cap *cap,
                                 struct cap *out)
{
    unsigned status = derive_cap(cap, out);
    if (status != SEL4_NO_ERROR)
        return inv_error(inv, status, 0, 0, 0);
    if (out->tag != SEL4_CAP_TAG_FRAME || (out->flags & CAP_DEVICE))
        return illegal(inv);
    if (vaddr & ((UINT64_C(1) << SEL4_IPC_BUFFER_SIZE_BITS) - 1))
        return inv_error(inv, SEL4_ALIGNMENT_ERROR, 0, 0, 0);
    return SEL4_NO_ERROR;
}

/* A new CSpace and VSpace root as seL4 takes them (Configure, SetSpace):
 * each updated with its data word when that is not 0, derived, and then
 * required to be a CNode / an assigned VSpace. */
static unsigned space_roots(struct invocation *inv, const struct cap *cspace, uint64_t cspace_data,
                            const struct cap *vspace, uint64_t vspace_data, struct cap *cspace_out,
                            struct cap *vspace_out)
{
    struct cap c = cspace_data != 0 ? update_cap_data(*cspace, cspace_data) : *cspace;
    unsigned status = derive_cap(&c, cspace_out);
    if (status != SEL4_NO_ERROR)
        return inv_error(inv, status, 0, 0, 0);
    if (cspace_out->tag != SEL4_CAP_TAG_CNODE)
        return illegal(inv);
    struct cap v = vspace_data != 0 ? update_cap_data(*vspace, vspace_data) : *vspace;
    status = derive_cap(&v, vspace_out);
    if (status != SEL4_NO_ERROR)
        return inv_error(inv, status, 0, 0, 0);
    if (vspace_out->tag != VSPACE_ROOT_CAP_TAG || !(vspace_out->flags & CAP_MAPPED))
        return illegal(inv);
    return SEL4_NO_ERROR;
}

static void set_ipc_buffer(struct tcb *t, uint64_t vaddr, const struct cap *frame)
{
    t->ipc_buffer_vaddr = vaddr;
    t->ipc_buffer_frame = vaddr != 0 ? *frame : (struct cap){ 0 };
}

#if CONFIG_KERNEL_MCS
/* seL4's validFaultHandler: no handler, or an endpoint cap that can send
 * and grant (a reply). */
static bool valid_fault_handler(const struct cap *c)
{
    if (c->tag == SEL4_CAP_TAG_NULL)
        return true;
    return c->tag == SEL4_CAP_TAG_ENDPOINT && (c->rights & SEL4_CAN_WRITE) &&
           (c->rights & (SEL4_CAN_GRANT | SEL4_CAN_GRANT_REPLY));
}
#endif

static unsigned configure(struct invocation *inv)
{
    /* Non-MCS: fault endpoint cptr, CSpace data, VSpace data, buffer.
     * MCS: the same without the fault endpoint (SetSchedParams has it). */
    const unsigned first = CONFIG_KERNEL_MCS ? 0 : 1;
    if (inv->length < first + 3 || inv->extra[0] == 0 || inv->extra[1] == 0 || inv->extra[2] == 0)
        return truncated(inv);
    uint64_t cspace_data = inv_arg(inv, first), vspace_data = inv_arg(inv, first + 1);
    uint64_t buffer_vaddr = inv_arg(inv, first + 2);
    struct cap buffer = { 0 }, cspace, vspace;
    unsigned status;
    if (buffer_vaddr != 0 &&
        (status = check_ipc_buffer(inv, buffer_vaddr, inv->extra[2], &buffer)) != SEL4_NO_ERROR)
        return status;
    status = space_roots(inv, inv->extra[0], cspace_data, inv->extra[1], vspace_data, &cspace,
                         &vspace);
    if (status != SEL4_NO_ERROR)
        return status;

    struct tcb *t = target(inv);
#if !CONFIG_KERNEL_MCS
    /* Kept as a cptr, looked up in t's CSpace at each fault. */
    tcb_ext(t)->fault_handler = inv_arg(inv, 0);
#endif
    t->cspace_root = cspace;
    t->vspace_root = vspace;
    set_ipc_buffer(t, buffer_vaddr, &buffer);
    return SEL4_NO_ERROR;
}

static unsigned set_space(struct invocation *inv)
{
    /* Non-MCS: fault endpoint cptr, CSpace data, VSpace data; caps CSpace,
     * VSpace. MCS: CSpace data, VSpace data; caps fault endpoint, CSpace,
     * VSpace. */
    const unsigned first = CONFIG_KERNEL_MCS ? 0 : 1, cap0 = CONFIG_KERNEL_MCS ? 1 : 0;
    if (inv->length < first + 2 || inv->extra[0] == 0 || inv->extra[1] == 0 ||
        (CONFIG_KERNEL_MCS && inv->extra[2] == 0))
        return truncated(inv);
    struct cap cspace, vspace;
    unsigned status = space_roots(inv, inv->extra[cap0], inv_arg(inv, first), inv->extra[cap0 + 1],
                                  inv_arg(inv, first + 1), &cspace, &vspace);
    if (status != SEL4_NO_ERROR)
        return status;
    struct tcb *t = target(inv);
#if CONFIG_KERNEL_MCS
    if (!valid_fault_handler(inv->extra[0]))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    tcb_ext(t)->fault_handler = *inv->extra[0];
#else
    tcb_ext(t)->fault_handler = inv_arg(inv, 0);
#endif
    t->cspace_root = cspace;
    t->vspace_root = vspace;
    return SEL4_NO_ERROR;
}

static unsigned set_ipc_buffer_invocation(struct invocation *inv)
{
    if (inv->length < 1 || inv->extra[0] == 0)
        return truncated(inv);
    uint64_t vaddr = inv_arg(inv, 0);
    struct cap buffer = { 0 };
    unsigned status;
    if (vaddr != 0 && (status = check_ipc_buffer(inv, vaddr, inv->extra[0], &buffer)) != SEL4_NO_ERROR)
        return status;
    set_ipc_buffer(target(inv), vaddr, &buffer);
    return SEL4_NO_ERROR;
}

static unsigned write_registers(struct invocation *inv)
{
    if (inv->length < 2)
        return truncated(inv);
    uint64_t flags = inv_arg(inv, 0), count = inv_arg(inv, 1);
    if (inv->length - 2 < count)
        return truncated(inv);
    struct tcb *t = target(inv);
    if (t == inv->caller)
        return illegal(inv);
    if (count > USER_CONTEXT_WORDS)
        count = USER_CONTEXT_WORDS;
    for (unsigned i = 0; i < count; i++) {
        uint64_t value = inv_arg(inv, 2 + i);
        unsigned reg = user_context_register[i];
        t->registers[reg] = user_register_sanitise(reg, value);
    }
    t->registers[REG_NEXT_IP] = t->registers[REG_FAULT_IP];
    if (flags & 1)
        restart(t);
    return SEL4_NO_ERROR;
}

/* The authority TCB cap and a priority checked against its MCP (seL4's
 * checkPrio): RangeError [0, mcp]. Returns 0 and sets *error when refused. */
static struct tcb *authority(struct invocation *inv, unsigned *error)
{
    if (inv->extra[0]->tag != SEL4_CAP_TAG_THREAD) {
        *error = inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
        return 0;
    }
    return tcb_of_object(inv->extra[0]->object);
}

static unsigned check_prio(struct invocation *inv, uint64_t prio, const struct tcb *auth)
{
    if (prio > auth->mcp)
        return inv_error(inv, SEL4_RANGE_ERROR, 2, 0, auth->mcp);
    return SEL4_NO_ERROR;
}

/* TCB_SetPriority and TCB_SetMCPriority: the same checks (seL4's
 * decodeSetPriority / decodeSetMCPriority), then the one field. */
static unsigned set_priority(struct invocation *inv, bool mcp)
{
    if (inv->length < 1 || inv->extra[0] == 0)
        return truncated(inv);
    uint64_t prio = inv_arg(inv, 0);
    unsigned error = SEL4_NO_ERROR;
    struct tcb *auth = authority(inv, &error);
    if (auth == 0)
        return error;
    if ((error = check_prio(inv, prio, auth)) != SEL4_NO_ERROR)
        return error;
    if (mcp)
        target(inv)->mcp = (uint8_t)prio;
    else
        sched_set_priority(target(inv), (uint8_t)prio);
    return SEL4_NO_ERROR;
}

#if CONFIG_KERNEL_MCS
/* seL4's isBlocked. */
static bool blocked(const struct tcb *t)
{
    return t->state == THREAD_BLOCKED_ON_SEND || t->state == THREAD_BLOCKED_ON_RECV ||
           t->state == THREAD_BLOCKED_ON_NOTIFICATION || t->state == THREAD_BLOCKED_ON_REPLY;
}
#endif

/* Non-MCS: MCP and priority. MCS: MCP, priority, a SchedContext cap (or a
 * null cap to unbind) and a fault handler cap. */
static unsigned set_sched_params(struct invocation *inv)
{
    if (inv->length < 2 || inv->extra[0] == 0 ||
        (CONFIG_KERNEL_MCS && (inv->extra[1] == 0 || inv->extra[2] == 0)))
        return truncated(inv);
    uint64_t mcp = inv_arg(inv, 0), prio = inv_arg(inv, 1);
    unsigned error = SEL4_NO_ERROR;
    struct tcb *auth = authority(inv, &error);
    if (auth == 0)
        return error;
    if ((error = check_prio(inv, mcp, auth)) != SEL4_NO_ERROR ||
        (error = check_prio(inv, prio, auth)) != SEL4_NO_ERROR)
        return error;
    struct tcb *t = target(inv);
#if CONFIG_KERNEL_MCS
    const struct cap *sc_cap = inv->extra[1], *handler = inv->extra[2];
    struct sched_context *sc = 0;
    if (sc_cap->tag == CAP_TAG_SCHED_CONTEXT) {
        sc = sc_of_object(sc_cap->object);
        /* From 14.0, naming the SchedContext the thread already has is no
         * error (and no change). */
        if (!release_at_least(14) || t->sc != sc) {
            if (t->sc != 0 || sc->tcb != 0)
                return illegal(inv);
        }
        if (blocked(t) && !sc_active(sc))
            return illegal(inv);
    } else if (sc_cap->tag == SEL4_CAP_TAG_NULL) {
        if (t == ksCurThread)
            return illegal(inv);
    } else {
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 2, 0);
    }
    if (!valid_fault_handler(handler))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 3, 0);
    tcb_ext(t)->fault_handler = *handler;
    t->mcp = (uint8_t)mcp;
    sched_set_priority(t, (uint8_t)prio);
    if (sc != 0 && sc != t->sc)
        sc_bind_tcb(sc, t);
    else if (sc == 0 && t->sc != 0)
        sc_unbind_tcb(t->sc);
#else
    t->mcp = (uint8_t)mcp;
    sched_set_priority(t, (uint8_t)prio);
#endif
    return SEL4_NO_ERROR;
}

#if CONFIG_KERNEL_MCS
static unsigned set_timeout_endpoint(struct invocation *inv)
{
    /* 13.0 returns here without setting an error: the reply repeats the
     * last one. */
    if (inv->extra[0] == 0)
        return release_at_least(14) ? truncated(inv) : inv_error_unset(inv);
    if (!valid_fault_handler(inv->extra[0]))
        return inv_error(inv, SEL4_INVALID_CAPABILITY, 1, 1, 0);
    tcb_ext(target(inv))->timeout_handler = *inv->extra[0];
    return SEL4_NO_ERROR;
}
#endif

/* seL4_TCBFlag_MASK of a build with an FPU: seL4_TCBFlag_fpuDisabled. */
#define TCB_FLAG_MASK 1

/* TCB_SetFlags (14.0+): the flags after clearing and setting, which a Call
 * gets back in MR0. The stand-in records fpuDisabled but does not trap FP
 * use (no user code here uses FP/SIMD). */
static unsigned set_flags(struct invocation *inv)
{
    if (inv->length < 2)
        return truncated(inv);
    struct tcb *t = target(inv);
    uint64_t flags = (t->flags & ~inv_arg(inv, 0)) | (inv_arg(inv, 1) & TCB_FLAG_MASK);
    t->flags = (uint8_t)flags;
    if (flags & TCB_FLAG_MASK)
        standin_release.fpu_release(t);
    inv->reply_length = 1;
    inv->reply[0] = flags;
    return SEL4_NO_ERROR;
}

unsigned decode_tcb(struct invocation *inv)
{
    switch (inv->method) {
    case SEL4_METHOD_TCBConfigure:
        return configure(inv);
    case SEL4_METHOD_TCBSetSpace:
        return set_space(inv);
    case SEL4_METHOD_TCBSetIPCBuffer:
        return set_ipc_buffer_invocation(inv);
    case SEL4_METHOD_TCBWriteRegisters:
        return write_registers(inv);
    case SEL4_METHOD_TCBSetPriority:
        return set_priority(inv, false);
    case SEL4_METHOD_TCBSetMCPriority:
        return set_priority(inv, true);
    case SEL4_METHOD_TCBSetSchedParams:
        return set_sched_params(inv);
#if CONFIG_KERNEL_MCS
    case SEL4_METHOD_TCBSetTimeoutEndpoint:
        return set_timeout_endpoint(inv);
#endif
    case SEL4_METHOD_TCBSuspend:
        suspend(target(inv));
        return SEL4_NO_ERROR;
    case SEL4_METHOD_TCBResume:
        restart(target(inv));
        return SEL4_NO_ERROR;
    case SEL4_METHOD_TCBSetFlags:
        return set_flags(inv);
    default:
        return illegal(inv);
    }
}
