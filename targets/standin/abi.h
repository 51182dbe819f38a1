/* The numbers of the seL4 ABI this build speaks: which method an
 * invocation label names, which syscall a syscall number names, which
 * object type a retype type names. They differ between releases (labels),
 * between non-MCS and MCS (syscalls, labels, object types) and between one
 * core and several (labels); the rest of the stand-in works with the names
 * below, never with numbers. */
#ifndef STANDIN_ABI_H
#define STANDIN_ABI_H

#include <stdint.h>

/* Invocation methods (seL4's object-api XML ids), in no particular order. */
enum method {
    METHOD_NONE,   /* a label this kernel does not define */
    METHOD_UNTYPED_RETYPE,
    METHOD_TCB_READ_REGISTERS, METHOD_TCB_WRITE_REGISTERS, METHOD_TCB_COPY_REGISTERS,
    METHOD_TCB_CONFIGURE, METHOD_TCB_SET_PRIORITY, METHOD_TCB_SET_MC_PRIORITY,
    METHOD_TCB_SET_SCHED_PARAMS, METHOD_TCB_SET_TIMEOUT_ENDPOINT, METHOD_TCB_SET_IPC_BUFFER,
    METHOD_TCB_SET_SPACE, METHOD_TCB_SUSPEND, METHOD_TCB_RESUME, METHOD_TCB_BIND_NOTIFICATION,
    METHOD_TCB_UNBIND_NOTIFICATION, METHOD_TCB_SET_AFFINITY, METHOD_TCB_SET_TLS_BASE,
    METHOD_TCB_SET_FLAGS,
    METHOD_CNODE_REVOKE, METHOD_CNODE_DELETE, METHOD_CNODE_CANCEL_BADGED_SENDS, METHOD_CNODE_COPY,
    METHOD_CNODE_MINT, METHOD_CNODE_MOVE, METHOD_CNODE_MUTATE, METHOD_CNODE_ROTATE,
    METHOD_CNODE_SAVE_CALLER,
    METHOD_IRQ_ISSUE_IRQ_HANDLER, METHOD_IRQ_ACK_IRQ, METHOD_IRQ_SET_IRQ_HANDLER,
    METHOD_IRQ_CLEAR_IRQ_HANDLER,
    METHOD_DOMAIN_SET_SET, METHOD_DOMAIN_SCHEDULE_CONFIGURE, METHOD_DOMAIN_SCHEDULE_SET_START,
    METHOD_SCHED_CONTROL_CONFIGURE_FLAGS,
    METHOD_SCHED_CONTEXT_BIND, METHOD_SCHED_CONTEXT_UNBIND, METHOD_SCHED_CONTEXT_UNBIND_OBJECT,
    METHOD_SCHED_CONTEXT_CONSUMED, METHOD_SCHED_CONTEXT_YIELD_TO,
    METHOD_ARM_VSPACE_CLEAN_DATA, METHOD_ARM_VSPACE_INVALIDATE_DATA,
    METHOD_ARM_VSPACE_CLEAN_INVALIDATE_DATA, METHOD_ARM_VSPACE_UNIFY_INSTRUCTION,
    METHOD_ARM_SMC_CALL,
    METHOD_ARM_PAGE_TABLE_MAP, METHOD_ARM_PAGE_TABLE_UNMAP,
    METHOD_ARM_PAGE_MAP, METHOD_ARM_PAGE_UNMAP, METHOD_ARM_PAGE_CLEAN_DATA,
    METHOD_ARM_PAGE_INVALIDATE_DATA, METHOD_ARM_PAGE_CLEAN_INVALIDATE_DATA,
    METHOD_ARM_PAGE_UNIFY_INSTRUCTION, METHOD_ARM_PAGE_GET_ADDRESS,
    METHOD_ARM_ASID_CONTROL_MAKE_POOL, METHOD_ARM_ASID_POOL_ASSIGN,
    METHOD_ARM_IRQ_ISSUE_IRQ_HANDLER_TRIGGER, METHOD_ARM_IRQ_ISSUE_IRQ_HANDLER_TRIGGER_CORE,
    METHOD_ARM_IRQ_ISSUE_SGI_SIGNAL,
    METHOD_COUNT
};

/* The method this kernel decodes for an invocation label. */
enum method abi_method(uint64_t label);

/* System calls (seL4's syscall.xml names). */
enum syscall {
    SYSCALL_NONE,  /* no syscall of this kernel: an UnknownSyscall fault */
    SYSCALL_CALL, SYSCALL_REPLY_RECV, SYSCALL_SEND, SYSCALL_NB_SEND, SYSCALL_RECV,
    SYSCALL_REPLY, SYSCALL_YIELD, SYSCALL_NB_RECV,
    SYSCALL_NB_SEND_RECV, SYSCALL_NB_SEND_WAIT, SYSCALL_WAIT, SYSCALL_NB_WAIT,   /* MCS */
    SYSCALL_DEBUG_PUT_CHAR, SYSCALL_DEBUG_DUMP_SCHEDULER, SYSCALL_DEBUG_HALT,
    SYSCALL_DEBUG_CAP_IDENTIFY, SYSCALL_DEBUG_SNAPSHOT, SYSCALL_DEBUG_NAME_THREAD,
    SYSCALL_DEBUG_SEND_IPI, SYSCALL_DEBUG_GET_THREAD_AFFINITY,   /* SMP */
    SYSCALL_COUNT
};

/* The syscall a (negative) number in x7 names on this kernel. */
enum syscall abi_syscall(int64_t number);

/* seL4's name of a syscall number ("seL4_SysCall"), or 0 when none. */
const char *abi_syscall_name(int64_t number);

/* Kernel object types Untyped_Retype creates. */
enum object_type {
    OBJECT_UNTYPED, OBJECT_TCB, OBJECT_ENDPOINT, OBJECT_NOTIFICATION, OBJECT_CAP_TABLE,
    OBJECT_SCHED_CONTEXT, OBJECT_REPLY,   /* MCS */
    OBJECT_ARM_HUGE_PAGE, OBJECT_ARM_VSPACE, OBJECT_ARM_SMALL_PAGE, OBJECT_ARM_LARGE_PAGE,
    OBJECT_ARM_PAGE_TABLE,
    OBJECT_NONE    /* a type number this kernel does not define */
};

/* The object type a retype's type argument names. */
enum object_type abi_object_type(uint64_t type);

/* What a fault message reports (seL4_Fault_t); the label it carries is
 * abi_fault_label's. */
enum fault_kind {
    FAULT_NULL,   /* none: an ordinary message */
    FAULT_CAP, FAULT_UNKNOWN_SYSCALL, FAULT_USER_EXCEPTION, FAULT_VM,
    FAULT_TIMEOUT,   /* MCS */
};

/* seL4_FaultType of a fault: the label of its fault message. */
uint64_t abi_fault_label(enum fault_kind kind);

/* log2 of a notification object's size (seL4_NotificationBits). */
unsigned abi_notification_bits(void);

#endif
