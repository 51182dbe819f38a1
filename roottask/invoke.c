#include "invoke.h"

#include "arch.h"
#include "fmt.h"
#include "kernel_abi.h"
#include "print.h"
#include "syscalls.h"

static seL4_IPCBuffer *ipc_buffer;
static seL4_Word kernel_num_nodes = 1;
static char last_failure[96];
static int quiet;

void invoke_init(seL4_Word ipc_buffer_vaddr, seL4_Word num_nodes)
{
    ipc_buffer = (seL4_IPCBuffer *)(uintptr_t)ipc_buffer_vaddr;
    kernel_num_nodes = num_nodes;
    bool smp = num_nodes > 1;
    if (kernel_abi->smp != smp)
        kernel_abi_set(sel4_abi_find(kernel_abi->release, kernel_abi->mcs, smp, kernel_abi->hyp));
}

seL4_IPCBuffer *invoke_ipc_buffer(void)
{
    return ipc_buffer;
}

seL4_Word invoke_num_nodes(void)
{
    return kernel_num_nodes;
}

void invoke_set_quiet(int q)
{
    quiet = q;
}

const char *sel4_error_name(seL4_Word error)
{
    return error < SEL4_ERROR_COUNT ? sel4_error_names[error] : "(not an seL4 error code)";
}

const char *invoke_last_failure(void)
{
    return last_failure;
}

struct invocation {
    const char *name;
    enum sel4_method method;               /* its label comes from kernel_abi */
    unsigned n_caps, n_args;
    seL4_Word caps[SEL4_MSG_MAX_EXTRA_CAPS];
    seL4_Word args[INVOKE_MAX_ARGS];
    const char *names[1 + INVOKE_MAX_ARGS + SEL4_MSG_MAX_EXTRA_CAPS];   /* cap, args, extra caps */
};

static void report_failure(const struct invocation *inv, seL4_Word cap, seL4_Word error)
{
    bc_snprintf(last_failure, sizeof last_failure, "%s -> %s", inv->name, sel4_error_name(error));
    if (quiet)
        return;
    /* One line: name(cap=.., arg=.., ..., extra=..) -> error */
    char line[640];
    int n = bc_snprintf(line, sizeof line, "%s(%s=0x%lx", inv->name, inv->names[0],
                        (unsigned long)cap);
    for (unsigned i = 0; i < inv->n_args && n < (int)sizeof line; i++)
        n += bc_snprintf(line + n, sizeof line - (unsigned)n, ", %s=0x%lx", inv->names[1 + i],
                         (unsigned long)inv->args[i]);
    for (unsigned i = 0; i < inv->n_caps && n < (int)sizeof line; i++)
        n += bc_snprintf(line + n, sizeof line - (unsigned)n, ", %s=0x%lx",
                         inv->names[1 + inv->n_args + i], (unsigned long)inv->caps[i]);
    rt_line("invocation failed: %s) -> %s", line, sel4_error_name(error));
}

static seL4_Word invoke(seL4_Word cap, const struct invocation *inv)
{
    seL4_Word label = kernel_abi->label[inv->method];
    if (label == 0) {
        /* Never send a label this kernel does not have: say so instead. */
        bc_snprintf(last_failure, sizeof last_failure, "%s -> not in seL4 %s", inv->name,
                    kernel_abi->name);
        if (!quiet)
            rt_line("invocation failed: %s: seL4 %s has no such invocation", inv->name,
                    kernel_abi->name);
        return SEL4_ILLEGAL_OPERATION;
    }
    struct sys_message msg = { .info = SEL4_MSGINFO(label, 0, inv->n_caps, inv->n_args) };
    for (unsigned i = 0; i < inv->n_args; i++) {
        if (i < SEL4_FAST_MESSAGE_REGISTERS)
            msg.mr[i] = inv->args[i];
        else
            ipc_buffer->msg[i] = inv->args[i];
    }
    for (unsigned i = 0; i < inv->n_caps; i++)
        ipc_buffer->caps_or_badges[i] = inv->caps[i];
    sys_call(cap, &msg);
    seL4_Word error = SEL4_MSGINFO_LABEL(msg.info);
    if (error != SEL4_NO_ERROR)
        report_failure(inv, cap, error);
    return error;
}

seL4_Word untyped_retype(seL4_Word untyped, seL4_Word type, seL4_Word size_bits, seL4_Word root,
                         seL4_Word node_index, seL4_Word node_depth, seL4_Word node_offset,
                         seL4_Word num_objects)
{
    struct invocation inv = {
        "Untyped_Retype", SEL4_METHOD_UntypedRetype, 1, 6, { root },
        { type, size_bits, node_index, node_depth, node_offset, num_objects },
        { "untyped", "type", "size_bits", "node_index", "node_depth", "node_offset",
          "num_objects", "root" },
    };
    return invoke(untyped, &inv);
}

seL4_Word cnode_copy(seL4_Word dest_root, seL4_Word dest_index, seL4_Word dest_depth,
                     seL4_Word src_root, seL4_Word src_index, seL4_Word src_depth,
                     seL4_Word rights)
{
    struct invocation inv = {
        "CNode_Copy", SEL4_METHOD_CNodeCopy, 1, 5, { src_root },
        { dest_index, dest_depth, src_index, src_depth, rights },
        { "dest_root", "dest_index", "dest_depth", "src_index", "src_depth", "rights",
          "src_root" },
    };
    return invoke(dest_root, &inv);
}

seL4_Word cnode_mint(seL4_Word dest_root, seL4_Word dest_index, seL4_Word dest_depth,
                     seL4_Word src_root, seL4_Word src_index, seL4_Word src_depth,
                     seL4_Word rights, seL4_Word badge)
{
    struct invocation inv = {
        "CNode_Mint", SEL4_METHOD_CNodeMint, 1, 6, { src_root },
        { dest_index, dest_depth, src_index, src_depth, rights, badge },
        { "dest_root", "dest_index", "dest_depth", "src_index", "src_depth", "rights", "badge",
          "src_root" },
    };
    return invoke(dest_root, &inv);
}

seL4_Word tcb_configure(seL4_Word tcb, seL4_Word fault_ep, seL4_Word cspace_root,
                        seL4_Word cspace_root_data, seL4_Word vspace_root,
                        seL4_Word vspace_root_data, seL4_Word buffer, seL4_Word buffer_frame)
{
    if (kernel_is_mcs()) {
        struct invocation inv = {
            "TCB_Configure", SEL4_METHOD_TCBConfigure, 3, 3,
            { cspace_root, vspace_root, buffer_frame },
            { cspace_root_data, vspace_root_data, buffer },
            { "tcb", "cspace_root_data", "vspace_root_data", "buffer", "cspace_root",
              "vspace_root", "buffer_frame" },
        };
        return invoke(tcb, &inv);
    }
    struct invocation inv = {
        "TCB_Configure", SEL4_METHOD_TCBConfigure, 3, 4, { cspace_root, vspace_root, buffer_frame },
        { fault_ep, cspace_root_data, vspace_root_data, buffer },
        { "tcb", "fault_ep", "cspace_root_data", "vspace_root_data", "buffer", "cspace_root",
          "vspace_root", "buffer_frame" },
    };
    return invoke(tcb, &inv);
}

seL4_Word tcb_write_registers(seL4_Word tcb, seL4_Word resume, seL4_Word pc, seL4_Word sp,
                              const seL4_Word *x, unsigned n_x)
{
    /* The words of seL4_UserContext in the architecture's order (arch.h). */
    struct invocation inv = {
        "TCB_WriteRegisters", SEL4_METHOD_TCBWriteRegisters, 0, 0, { 0 }, { resume, 0 },
        { "tcb", "resume_target", "count" },
    };
    unsigned count = arch_user_context(pc, sp, x, n_x, &inv.args[2], &inv.names[3]);
    inv.args[1] = count;
    inv.n_args = 2 + count;
    return invoke(tcb, &inv);
}

seL4_Word tcb_set_priority(seL4_Word tcb, seL4_Word authority, seL4_Word priority)
{
    struct invocation inv = {
        "TCB_SetPriority", SEL4_METHOD_TCBSetPriority, 1, 1, { authority }, { priority },
        { "tcb", "priority", "authority" },
    };
    return invoke(tcb, &inv);
}

seL4_Word tcb_set_mc_priority(seL4_Word tcb, seL4_Word authority, seL4_Word mcp)
{
    struct invocation inv = {
        "TCB_SetMCPriority", SEL4_METHOD_TCBSetMCPriority, 1, 1, { authority }, { mcp },
        { "tcb", "mcp", "authority" },
    };
    return invoke(tcb, &inv);
}

seL4_Word tcb_resume(seL4_Word tcb)
{
    struct invocation inv = { "TCB_Resume", SEL4_METHOD_TCBResume, 0, 0, { 0 }, { 0 }, { "tcb" } };
    return invoke(tcb, &inv);
}

seL4_Word tcb_set_sched_params(seL4_Word tcb, seL4_Word authority, seL4_Word mcp,
                               seL4_Word priority, seL4_Word sc, seL4_Word fault_ep)
{
    if (kernel_is_mcs()) {
        struct invocation inv = {
            "TCB_SetSchedParams", SEL4_METHOD_TCBSetSchedParams, 3, 2, { authority, sc, fault_ep },
            { mcp, priority }, { "tcb", "mcp", "priority", "authority", "sc", "fault_ep" },
        };
        return invoke(tcb, &inv);
    }
    struct invocation inv = {
        "TCB_SetSchedParams", SEL4_METHOD_TCBSetSchedParams, 1, 2, { authority }, { mcp, priority },
        { "tcb", "mcp", "priority", "authority" },
    };
    return invoke(tcb, &inv);
}

seL4_Word sched_control_configure_flags(seL4_Word sched_control, seL4_Word sc, seL4_Word budget_us,
                                        seL4_Word period_us, seL4_Word extra_refills,
                                        seL4_Word badge, seL4_Word flags)
{
    struct invocation inv = {
        "SchedControl_ConfigureFlags", SEL4_METHOD_SchedControlConfigureFlags, 1, 5, { sc },
        { budget_us, period_us, extra_refills, badge, flags },
        { "sched_control", "budget_us", "period_us", "extra_refills", "badge", "flags", "sc" },
    };
    return invoke(sched_control, &inv);
}

seL4_Word page_table_map(seL4_Word page_table, seL4_Word vspace, seL4_Word vaddr, seL4_Word attr)
{
    struct invocation inv = {
        ARCH_PAGE_TABLE_MAP_NAME, ARCH_METHOD_PAGE_TABLE_MAP, 1, 2, { vspace }, { vaddr, attr },
        { "page_table", "vaddr", "attr", "vspace" },
    };
    return invoke(page_table, &inv);
}

seL4_Word page_map(seL4_Word frame, seL4_Word vspace, seL4_Word vaddr, seL4_Word rights,
                   seL4_Word attr)
{
    struct invocation inv = {
        ARCH_PAGE_MAP_NAME, ARCH_METHOD_PAGE_MAP, 1, 3, { vspace }, { vaddr, rights, attr },
        { "frame", "vaddr", "rights", "attr", "vspace" },
    };
    return invoke(frame, &inv);
}

seL4_Word asid_pool_assign(seL4_Word pool, seL4_Word vspace)
{
    struct invocation inv = {
        "ASIDPool_Assign", ARCH_METHOD_ASID_POOL_ASSIGN, 1, 0, { vspace }, { 0 },
        { "asid_pool", "vspace" },
    };
    return invoke(pool, &inv);
}
