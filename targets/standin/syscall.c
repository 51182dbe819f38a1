/* Everything that enters the kernel after boot: syscalls from user threads,
 * their faults, and (never expected) interrupts or kernel faults. The
 * seL4 API syscalls (non-MCS: Call, Send, NBSend, Recv, NBRecv, Reply,
 * ReplyRecv, Yield; MCS: Call, Send, NBSend, Recv, NBRecv, Wait, NBWait,
 * ReplyRecv, NBSendRecv, NBSendWait, Yield) and the debug syscalls a root
 * task needs are implemented, numbered as the build's release and
 * configuration number them (abi.h); user
 * faults go to the thread's fault handler (fault.c). What the stand-in
 * does not offer (other debug syscalls) ends the run with one line that
 * says what happened (the architecture's trap code words it). The trap
 * entry, user faults and interrupts are the architecture's
 * (arch/<arch>/trap.c). */
#include <stdint.h>

#include "cspace.h"
#include "fault.h"
#include "abi.h"
#include "invocation.h"
#include "ipc.h"
#include "notification.h"
#include "power.h"
#include "release.h"
#include "sched.h"
#include "syscall.h"
#include "sel4_abi.h"
#include "thread.h"
#include "uart.h"

static unsigned identify(struct tcb *t, uint64_t cptr)
{
    struct cap *slot = cspace_lookup(&t->cspace_root, cptr, 0);
    return slot == 0 ? SEL4_CAP_TAG_NULL : slot->tag;
}

/* The kernel's answer to a Call that invoked an object (seL4's
 * replyFromKernel): x0 = 0, the error code as label, its detail words. */
static void reply_from_kernel(struct tcb *t, unsigned error, const struct invocation *inv)
{
    unsigned words = error == SEL4_NO_ERROR ? inv->reply_length : current_syscall_error.length;
    const uint64_t *mr = error == SEL4_NO_ERROR ? inv->reply : current_syscall_error.mr;
    unsigned length = 0;
    seL4_IPCBuffer *buffer = thread_ipc_buffer(t);
    for (unsigned i = 0; i < words; i++)
        length = ipc_set_mr(t, buffer, i, mr[i]);
    t->registers[REG_CAP] = 0;
    t->registers[REG_MSG_INFO] = SEL4_MSGINFO(error, 0, 0, length);
}

/* seL4's handleInvocation for SysCall, SysSend and SysNBSend (and on MCS
 * the send phase of ReplyRecv, NBSendRecv and NBSendWait, on the cap in
 * x6 or x8): IPC on an endpoint, a signal on a notification, else an object
 * invocation. A bad cptr is a cap fault when blocking, and nothing at all
 * otherwise. */
static void handle_invocation(int is_call, int blocking, int can_donate, int first_phase,
                              uint64_t cptr)
{
    struct tcb *t = ksCurThread;
    uint64_t info = t->registers[REG_MSG_INFO];
    struct cap *slot = cspace_lookup(&t->cspace_root, cptr, 0);
    if (slot == 0) {
        if (blocking)
            fault_raise(t, fault_cap(cptr, 0));
        return;
    }
    struct invocation inv = { .caller = t, .slot = slot, .label = SEL4_MSGINFO_LABEL(info),
                              .length = SEL4_MSGINFO_LENGTH(info), .first_phase = first_phase };
    inv.method = abi_method(inv.label);
    seL4_IPCBuffer *buffer = thread_ipc_buffer(t);
    for (unsigned i = 0; buffer != 0 && i < SEL4_MSGINFO_EXTRA_CAPS(info); i++) {
        uint64_t extra = buffer->caps_or_badges[i];
        inv.extra[i] = cspace_lookup(&t->cspace_root, extra, 0);
        if (inv.extra[i] == 0) {
            if (blocking)
                fault_raise(t, fault_cap(extra, 0));
            return;
        }
    }
    /* seL4_MessageInfo keeps at most seL4_MsgMaxLength; without an IPC
     * buffer only the registers count. */
    if (inv.length > SEL4_MSG_MAX_LENGTH)
        inv.length = SEL4_MSG_MAX_LENGTH;
    if (inv.length > SEL4_FAST_MESSAGE_REGISTERS && buffer == 0)
        inv.length = SEL4_FAST_MESSAGE_REGISTERS;
    unsigned error;
    switch (slot->tag) {
    case SEL4_CAP_TAG_ENDPOINT:
    case SEL4_CAP_TAG_NOTIFICATION:
        /* Without Write it is a read-only cap: an error, not a fault. */
        if (!(slot->rights & SEL4_CAN_WRITE)) {
            error = inv_error(&inv, SEL4_INVALID_CAPABILITY, 1, 0, 0);
            break;
        }
        if (slot->tag == SEL4_CAP_TAG_ENDPOINT) {
            ipc_send(t, slot, blocking, is_call, can_donate);
            return;   /* the reply (if any) comes from the receiver */
        }
        notification_signal(slot);
        error = SEL4_NO_ERROR;
        break;
    default:
        error = decode_invocation(&inv);
        break;
    }
    /* A thread that stopped itself (TCB_Suspend) gets no reply. */
    if (is_call && (error != SEL4_NO_ERROR || t->state == THREAD_RUNNING))
        reply_from_kernel(t, error, &inv);
}

#if CONFIG_KERNEL_MCS
/* seL4's lookupReply: the reply cap a receive names in x6, or a cap fault
 * (receive phase) on that cptr. */
static const struct cap *lookup_reply(struct tcb *t)
{
    uint64_t cptr = t->registers[REG_REPLY];
    struct cap *slot = cspace_lookup(&t->cspace_root, cptr, 0);
    if (slot != 0 && slot->tag == SEL4_CAP_TAG_REPLY)
        return slot;
    /* Up to 15.0 the lookup failure is not set here; it is not reported
     * either then (fault.c). */
    if (slot != 0 && release_at_least(16))
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_MISSING_CAPABILITY };
    fault_raise(t, fault_cap(cptr, 1));
    return 0;
}
#endif

/* seL4's handleRecv for SysRecv and SysNBRecv (and the receive phase of
 * ReplyRecv; on MCS also Wait, NBWait, NBSendRecv, NBSendWait): a bad
 * cptr, a cap without Read or a cap that is neither an endpoint nor a
 * notification is a cap fault in the receive phase. can_reply (MCS): the
 * receive names a reply object in x6 (Recv, NBRecv, ReplyRecv,
 * NBSendRecv), which an endpoint receive needs. */
static void handle_recv(int blocking, int can_reply)
{
    struct tcb *t = ksCurThread;
    uint64_t cptr = t->registers[REG_CAP];
    struct cap *slot = cspace_lookup(&t->cspace_root, cptr, 0);
    if (slot == 0) {
        fault_raise(t, fault_cap(cptr, 1));
        return;
    }
    int readable = (slot->rights & SEL4_CAN_READ) != 0;
    if (slot->tag == SEL4_CAP_TAG_ENDPOINT && readable) {
        const struct cap *reply = 0;
#if CONFIG_KERNEL_MCS
        if (can_reply && (reply = lookup_reply(t)) == 0)
            return;
#else
        (void)can_reply;
#endif
        ipc_recv(t, slot, blocking, reply);
        return;
    }
    if (slot->tag == SEL4_CAP_TAG_NOTIFICATION && readable) {
        notification_wait(t, slot, blocking);
        return;
    }
    current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_MISSING_CAPABILITY, .bits_left = 0 };
    fault_raise(t, fault_cap(cptr, 1));
}

void handle_syscall(void)
{
    struct tcb *t = ksCurThread;
    int64_t number = (int64_t)t->registers[REG_SYSCALL_NUMBER];
    enum sel4_syscall call = abi_syscall(number);
    switch (call) {
    case SEL4_SYSCALL_Call:
        handle_invocation(1, 1, 1, 0, t->registers[REG_CAP]);
        break;
    case SEL4_SYSCALL_Send:
        handle_invocation(0, 1, 0, 0, t->registers[REG_CAP]);
        break;
    case SEL4_SYSCALL_NBSend:
        handle_invocation(0, 0, 0, 0, t->registers[REG_CAP]);
        break;
    case SEL4_SYSCALL_Recv:
        handle_recv(1, 1);
        break;
    case SEL4_SYSCALL_NBRecv:
        handle_recv(0, 1);
        break;
#if CONFIG_KERNEL_MCS
    case SEL4_SYSCALL_Wait:
        handle_recv(1, 0);
        break;
    case SEL4_SYSCALL_NBWait:
        handle_recv(0, 0);
        break;
    case SEL4_SYSCALL_ReplyRecv:
        /* The reply is a non-blocking invocation of the cap in x6. */
        handle_invocation(0, 0, 1, 1, t->registers[REG_REPLY]);
        handle_recv(1, 1);
        break;
    case SEL4_SYSCALL_NBSendRecv:
        handle_invocation(0, 0, 1, 1, t->registers[REG_NBSEND_RECV_DEST]);
        handle_recv(1, 1);
        break;
    case SEL4_SYSCALL_NBSendWait:
        handle_invocation(0, 0, 1, 1, t->registers[REG_REPLY]);
        handle_recv(1, 0);
        break;
#else
    case SEL4_SYSCALL_Reply:
        ipc_reply(t);
        break;
    case SEL4_SYSCALL_ReplyRecv:
        ipc_reply(t);
        handle_recv(1, 1);
        break;
#endif
    case SEL4_SYSCALL_DebugPutChar:
        uart_putchar((char)t->registers[REG_CAP]);
        break;
    case SEL4_SYSCALL_Yield:
        sched_yield();
        break;
    case SEL4_SYSCALL_DebugCapIdentify:
        t->registers[REG_CAP] = identify(t, t->registers[REG_CAP]);
        break;
    case SEL4_SYSCALL_DebugHalt:
        kprintf("Debug halt syscall from user thread 0x%lx \"%s\"\n", (unsigned long)(uintptr_t)t,
                tcb_ext(t)->name);
        halt();
    case SEL4_SYSCALL_COUNT:
        /* Outside seL4's API and debug syscalls: an UnknownSyscall fault
         * (seL4's handleUnknownSyscall). */
        fault_raise(t, fault_unknown_syscall((uint64_t)number));
        break;
    default:
        arch_unsupported_syscall(number);
    }
    sched_choose();
}
