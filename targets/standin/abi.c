/* The numbers behind abi.h for this build (release: release.h; MCS:
 * CONFIG_KERNEL_MCS; cores: MAX_NUM_NODES).
 *
 * INTERIM: until the project's ABI table (targets/abi/, the "abi" branch)
 * is merged, the numbering is derived here from the order in which seL4
 * declares its methods and syscalls (libsel4's object-api XML files and
 * syscall.xml at each release tag: a label or syscall number is the
 * position among the entries the configuration includes). The table
 * replaces this file's data; the interface in abi.h stays. */
#include "abi.h"

#include "config.h"
#include "release.h"

/* When an entry exists. */
#define ANY       0u
#define MCS_ONLY  1u    /* CONFIG_KERNEL_MCS */
#define NOT_MCS   2u
#define SMP_ONLY  4u    /* CONFIG_ENABLE_SMP_SUPPORT (MAX_NUM_NODES > 1) */
#define NOT_SMP   8u

struct entry {
    uint8_t what;         /* enum method / enum syscall */
    uint8_t when;         /* the flags above */
    uint8_t since;        /* first release major that has it */
};

static int present(const struct entry *e)
{
    int mcs = CONFIG_KERNEL_MCS, smp = MAX_NUM_NODES > 1;
    if (((e->when & MCS_ONLY) && !mcs) || ((e->when & NOT_MCS) && mcs) ||
        ((e->when & SMP_ONLY) && !smp) || ((e->when & NOT_SMP) && smp))
        return 0;
    return release_at_least(e->since);
}

/* Every method of an EL1 aarch64 build without SMMU, TK1 SMMU or hardware
 * debug API, in seL4's declaration order (object-api.xml, then
 * object-api-sel4-arch.xml, then object-api-arch.xml). */
static const struct entry methods[] = {
    { METHOD_UNTYPED_RETYPE, ANY, 13 },
    { METHOD_TCB_READ_REGISTERS, ANY, 13 },
    { METHOD_TCB_WRITE_REGISTERS, ANY, 13 },
    { METHOD_TCB_COPY_REGISTERS, ANY, 13 },
    { METHOD_TCB_CONFIGURE, ANY, 13 },
    { METHOD_TCB_SET_PRIORITY, ANY, 13 },
    { METHOD_TCB_SET_MC_PRIORITY, ANY, 13 },
    { METHOD_TCB_SET_SCHED_PARAMS, ANY, 13 },
    { METHOD_TCB_SET_TIMEOUT_ENDPOINT, MCS_ONLY, 13 },
    { METHOD_TCB_SET_IPC_BUFFER, ANY, 13 },
    { METHOD_TCB_SET_SPACE, ANY, 13 },
    { METHOD_TCB_SUSPEND, ANY, 13 },
    { METHOD_TCB_RESUME, ANY, 13 },
    { METHOD_TCB_BIND_NOTIFICATION, ANY, 13 },
    { METHOD_TCB_UNBIND_NOTIFICATION, ANY, 13 },
    { METHOD_TCB_SET_AFFINITY, SMP_ONLY | NOT_MCS, 13 },
    { METHOD_TCB_SET_TLS_BASE, ANY, 13 },
    { METHOD_TCB_SET_FLAGS, ANY, 14 },
    { METHOD_CNODE_REVOKE, ANY, 13 },
    { METHOD_CNODE_DELETE, ANY, 13 },
    { METHOD_CNODE_CANCEL_BADGED_SENDS, ANY, 13 },
    { METHOD_CNODE_COPY, ANY, 13 },
    { METHOD_CNODE_MINT, ANY, 13 },
    { METHOD_CNODE_MOVE, ANY, 13 },
    { METHOD_CNODE_MUTATE, ANY, 13 },
    { METHOD_CNODE_ROTATE, ANY, 13 },
    { METHOD_CNODE_SAVE_CALLER, NOT_MCS, 13 },
    { METHOD_IRQ_ISSUE_IRQ_HANDLER, ANY, 13 },
    { METHOD_IRQ_ACK_IRQ, ANY, 13 },
    { METHOD_IRQ_SET_IRQ_HANDLER, ANY, 13 },
    { METHOD_IRQ_CLEAR_IRQ_HANDLER, ANY, 13 },
    { METHOD_DOMAIN_SET_SET, ANY, 13 },
    { METHOD_DOMAIN_SCHEDULE_CONFIGURE, ANY, 15 },
    { METHOD_DOMAIN_SCHEDULE_SET_START, ANY, 15 },
    { METHOD_SCHED_CONTROL_CONFIGURE_FLAGS, MCS_ONLY, 13 },
    { METHOD_SCHED_CONTEXT_BIND, MCS_ONLY, 13 },
    { METHOD_SCHED_CONTEXT_UNBIND, MCS_ONLY, 13 },
    { METHOD_SCHED_CONTEXT_UNBIND_OBJECT, MCS_ONLY, 13 },
    { METHOD_SCHED_CONTEXT_CONSUMED, MCS_ONLY, 13 },
    { METHOD_SCHED_CONTEXT_YIELD_TO, MCS_ONLY, 13 },
    { METHOD_ARM_VSPACE_CLEAN_DATA, ANY, 13 },
    { METHOD_ARM_VSPACE_INVALIDATE_DATA, ANY, 13 },
    { METHOD_ARM_VSPACE_CLEAN_INVALIDATE_DATA, ANY, 13 },
    { METHOD_ARM_VSPACE_UNIFY_INSTRUCTION, ANY, 13 },
    { METHOD_ARM_SMC_CALL, ANY, 13 },
    { METHOD_ARM_PAGE_TABLE_MAP, ANY, 13 },
    { METHOD_ARM_PAGE_TABLE_UNMAP, ANY, 13 },
    { METHOD_ARM_PAGE_MAP, ANY, 13 },
    { METHOD_ARM_PAGE_UNMAP, ANY, 13 },
    { METHOD_ARM_PAGE_CLEAN_DATA, ANY, 13 },
    { METHOD_ARM_PAGE_INVALIDATE_DATA, ANY, 13 },
    { METHOD_ARM_PAGE_CLEAN_INVALIDATE_DATA, ANY, 13 },
    { METHOD_ARM_PAGE_UNIFY_INSTRUCTION, ANY, 13 },
    { METHOD_ARM_PAGE_GET_ADDRESS, ANY, 13 },
    { METHOD_ARM_ASID_CONTROL_MAKE_POOL, ANY, 13 },
    { METHOD_ARM_ASID_POOL_ASSIGN, ANY, 13 },
    { METHOD_ARM_IRQ_ISSUE_IRQ_HANDLER_TRIGGER, ANY, 13 },
    { METHOD_ARM_IRQ_ISSUE_IRQ_HANDLER_TRIGGER_CORE, SMP_ONLY, 13 },
    { METHOD_ARM_IRQ_ISSUE_SGI_SIGNAL, NOT_SMP, 14 },
};
#define N_METHODS (sizeof methods / sizeof methods[0])

enum method abi_method(uint64_t label)
{
    /* Label 0 is InvalidInvocation; each present method takes the next. */
    uint64_t n = 0;
    for (unsigned i = 0; i < N_METHODS; i++)
        if (present(&methods[i]) && ++n == label)
            return (enum method)methods[i].what;
    return METHOD_NONE;
}

/* syscall.xml: the API syscalls (seL4_SysCall = -1 and down), then the
 * debug ones of a debug build with printing. */
static const struct entry syscalls[] = {
    { SYSCALL_CALL, ANY, 13 },
    { SYSCALL_REPLY_RECV, ANY, 13 },
    { SYSCALL_NB_SEND_RECV, MCS_ONLY, 13 },
    { SYSCALL_NB_SEND_WAIT, MCS_ONLY, 13 },
    { SYSCALL_SEND, ANY, 13 },
    { SYSCALL_NB_SEND, ANY, 13 },
    { SYSCALL_RECV, ANY, 13 },
    { SYSCALL_REPLY, NOT_MCS, 13 },
    { SYSCALL_NB_RECV, MCS_ONLY, 13 },     /* MCS order: Recv, NBRecv, Wait, NBWait, Yield */
    { SYSCALL_WAIT, MCS_ONLY, 13 },
    { SYSCALL_NB_WAIT, MCS_ONLY, 13 },
    { SYSCALL_YIELD, ANY, 13 },
    { SYSCALL_NB_RECV, NOT_MCS, 13 },      /* non-MCS order: Reply, Yield, NBRecv */
    { SYSCALL_DEBUG_PUT_CHAR, ANY, 13 },
    { SYSCALL_DEBUG_DUMP_SCHEDULER, ANY, 13 },
    { SYSCALL_DEBUG_HALT, ANY, 13 },
    { SYSCALL_DEBUG_CAP_IDENTIFY, ANY, 13 },
    { SYSCALL_DEBUG_SNAPSHOT, ANY, 13 },
    { SYSCALL_DEBUG_NAME_THREAD, ANY, 13 },
    { SYSCALL_DEBUG_SEND_IPI, SMP_ONLY, 13 },
    { SYSCALL_DEBUG_GET_THREAD_AFFINITY, SMP_ONLY, 16 },
};
#define N_SYSCALLS (sizeof syscalls / sizeof syscalls[0])

static const char *const syscall_names[SYSCALL_COUNT] = {
    [SYSCALL_CALL] = "seL4_SysCall", [SYSCALL_REPLY_RECV] = "seL4_SysReplyRecv",
    [SYSCALL_SEND] = "seL4_SysSend", [SYSCALL_NB_SEND] = "seL4_SysNBSend",
    [SYSCALL_RECV] = "seL4_SysRecv", [SYSCALL_REPLY] = "seL4_SysReply",
    [SYSCALL_YIELD] = "seL4_SysYield", [SYSCALL_NB_RECV] = "seL4_SysNBRecv",
    [SYSCALL_NB_SEND_RECV] = "seL4_SysNBSendRecv", [SYSCALL_NB_SEND_WAIT] = "seL4_SysNBSendWait",
    [SYSCALL_WAIT] = "seL4_SysWait", [SYSCALL_NB_WAIT] = "seL4_SysNBWait",
    [SYSCALL_DEBUG_PUT_CHAR] = "seL4_SysDebugPutChar",
    [SYSCALL_DEBUG_DUMP_SCHEDULER] = "seL4_SysDebugDumpScheduler",
    [SYSCALL_DEBUG_HALT] = "seL4_SysDebugHalt",
    [SYSCALL_DEBUG_CAP_IDENTIFY] = "seL4_SysDebugCapIdentify",
    [SYSCALL_DEBUG_SNAPSHOT] = "seL4_SysDebugSnapshot",
    [SYSCALL_DEBUG_NAME_THREAD] = "seL4_SysDebugNameThread",
    [SYSCALL_DEBUG_SEND_IPI] = "seL4_SysDebugSendIPI",
    [SYSCALL_DEBUG_GET_THREAD_AFFINITY] = "seL4_SysDebugGetThreadAffinity",
};

enum syscall abi_syscall(int64_t number)
{
    /* Unlike labels, a syscall keeps its number in builds without it (the
     * generated header wraps each in #if): only the MCS choice and the
     * release decide the numbering, the SMP condition only presence. */
    int64_t n = 0;
    for (unsigned i = 0; i < N_SYSCALLS; i++) {
        struct entry numbered = syscalls[i];
        numbered.when &= (uint8_t)(MCS_ONLY | NOT_MCS);
        if (present(&numbered) && --n == number)
            return present(&syscalls[i]) ? (enum syscall)syscalls[i].what : SYSCALL_NONE;
    }
    return SYSCALL_NONE;
}

const char *abi_syscall_name(int64_t number)
{
    enum syscall s = abi_syscall(number);
    return s == SYSCALL_NONE ? 0 : syscall_names[s];
}

enum object_type abi_object_type(uint64_t type)
{
    /* seL4_UntypedObject .. seL4_CapTableObject, on MCS seL4_SchedContextObject
     * and seL4_ReplyObject, then the arch types (HugePage, VSpace, SmallPage,
     * LargePage, PageTable; no VCPU in an EL1 build). */
    static const uint8_t non_mcs[] = {
        OBJECT_UNTYPED, OBJECT_TCB, OBJECT_ENDPOINT, OBJECT_NOTIFICATION, OBJECT_CAP_TABLE,
        OBJECT_ARM_HUGE_PAGE, OBJECT_ARM_VSPACE, OBJECT_ARM_SMALL_PAGE, OBJECT_ARM_LARGE_PAGE,
        OBJECT_ARM_PAGE_TABLE,
    };
    static const uint8_t mcs[] = {
        OBJECT_UNTYPED, OBJECT_TCB, OBJECT_ENDPOINT, OBJECT_NOTIFICATION, OBJECT_CAP_TABLE,
        OBJECT_SCHED_CONTEXT, OBJECT_REPLY,
        OBJECT_ARM_HUGE_PAGE, OBJECT_ARM_VSPACE, OBJECT_ARM_SMALL_PAGE, OBJECT_ARM_LARGE_PAGE,
        OBJECT_ARM_PAGE_TABLE,
    };
    const uint8_t *types = CONFIG_KERNEL_MCS ? mcs : non_mcs;
    uint64_t count = CONFIG_KERNEL_MCS ? sizeof mcs : sizeof non_mcs;
    return type < count ? (enum object_type)types[type] : OBJECT_NONE;
}

unsigned abi_notification_bits(void)
{
    /* seL4_NotificationBits: the MCS notification also names a SchedContext. */
    return CONFIG_KERNEL_MCS ? 6 : 5;
}

uint64_t abi_fault_label(enum fault_kind kind)
{
    /* libsel4's arm shared_types.bf: NullFault 0, CapFault 1, UnknownSyscall
     * 2, UserException 3, (DebugException 4: hardware debug API only), then
     * on MCS Timeout 5 and the arch faults from 6, else the arch faults
     * from 5 (VMFault first). */
    switch (kind) {
    case FAULT_CAP: return 1;
    case FAULT_UNKNOWN_SYSCALL: return 2;
    case FAULT_USER_EXCEPTION: return 3;
    case FAULT_TIMEOUT: return 5;
    case FAULT_VM: return CONFIG_KERNEL_MCS ? 6 : 5;
    default: return 0;
    }
}
