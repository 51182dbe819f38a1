/* Everything that enters the kernel after boot: syscalls from user threads,
 * their faults, and (never expected) interrupts or kernel faults. The
 * seL4 API syscalls (Call, Send, NBSend, Recv, NBRecv, Reply, ReplyRecv,
 * Yield) and the debug syscalls a root task needs are implemented; user
 * faults go to the thread's fault handler (fault.c). What the stand-in
 * does not offer (other debug syscalls, interrupts) ends the run with one
 * line that says what happened. */
#include <stdint.h>

#include "cspace.h"
#include "esr.h"
#include "fault.h"
#include "invocation.h"
#include "ipc.h"
#include "notification.h"
#include "power.h"
#include "sched.h"
#include "sel4_abi.h"
#include "thread.h"
#include "traps.h"
#include "uart.h"

#define ESR_EC_INSTRUCTION_ABORT_LOWER 0x20
#define ESR_EC_DATA_ABORT_LOWER        0x24

struct trap_registers {
    uint64_t esr, elr, far;
};

static struct trap_registers read_trap_registers(void)
{
    struct trap_registers r;
    __asm__ volatile("mrs %0, esr_el1" : "=r"(r.esr));
    __asm__ volatile("mrs %0, elr_el1" : "=r"(r.elr));
    __asm__ volatile("mrs %0, far_el1" : "=r"(r.far));
    return r;
}

static const char *syscall_name(int64_t number)
{
    static const char *const names[] = {
        "?", "seL4_SysCall", "seL4_SysReplyRecv", "seL4_SysSend", "seL4_SysNBSend",
        "seL4_SysRecv", "seL4_SysReply", "seL4_SysYield", "seL4_SysNBRecv",
        "seL4_SysDebugPutChar", "seL4_SysDebugDumpScheduler", "seL4_SysDebugHalt",
        "seL4_SysDebugCapIdentify", "seL4_SysDebugSnapshot", "seL4_SysDebugNameThread",
    };
    if (number < 0 && number > -(int64_t)(sizeof names / sizeof names[0]))
        return names[-number];
    return "not a seL4 13.0.0 syscall";
}

static void print_trap_registers(struct trap_registers r)
{
    char detail[80];
    esr_fault_detail(r.esr, detail, sizeof detail);
    kprintf("(ESR_EL1 0x%lx: EC 0x%lx %s%s; ELR_EL1 0x%lx; FAR_EL1 0x%lx)",
            (unsigned long)r.esr, (unsigned long)ESR_EC(r.esr), esr_class_name(r.esr), detail,
            (unsigned long)r.elr, (unsigned long)r.far);
}

static __attribute__((noreturn)) void unsupported_syscall(int64_t number, struct trap_registers r)
{
    struct tcb *t = ksCurThread;
    kprintf("stand-in: unsupported syscall %ld (%s) from user thread \"%s\" at pc 0x%lx ",
            (long)number, syscall_name(number), t->name,
            (unsigned long)t->registers[REG_FAULT_IP]);
    print_trap_registers(r);
    kprintf(", halting\n");
    power_off();
}

static unsigned identify(struct tcb *t, uint64_t cptr)
{
    struct cap *slot = cspace_lookup(&t->cspace_root, cptr, 0);
    return slot == 0 ? SEL4_CAP_TAG_NULL : slot->tag;
}

/* The kernel's answer to a Call that invoked an object (seL4's
 * replyFromKernel): x0 = 0, the error code as label, its detail words. */
static void reply_from_kernel(struct tcb *t, unsigned error, const struct invocation *inv)
{
    unsigned length = error == SEL4_NO_ERROR ? 0 : inv->error_length;
    t->registers[0] = 0;
    t->registers[1] = SEL4_MSGINFO(error, 0, 0, length);
    for (unsigned i = 0; i < length; i++)
        t->registers[2 + i] = inv->error_mr[i];
}

/* seL4's handleInvocation for SysCall, SysSend and SysNBSend: IPC on an
 * endpoint, a signal on a notification, else an object invocation. A bad
 * cptr is a cap fault for Send and Call, and nothing at all for NBSend. */
static void handle_invocation(int is_call, int blocking)
{
    struct tcb *t = ksCurThread;
    uint64_t cptr = t->registers[0], info = t->registers[1];
    struct lookup_fault why;
    struct cap *slot = cspace_lookup(&t->cspace_root, cptr, &why);
    if (slot == 0) {
        if (blocking)
            fault_raise(t, fault_cap(cptr, 0), &why);
        return;
    }
    struct invocation inv = { .caller = t, .slot = slot, .label = SEL4_MSGINFO_LABEL(info),
                              .length = SEL4_MSGINFO_LENGTH(info) };
    if (inv.length > SEL4_MSG_MAX_LENGTH)
        inv.length = SEL4_MSG_MAX_LENGTH;
    seL4_IPCBuffer *buffer = thread_ipc_buffer(t);
    for (unsigned i = 0; buffer != 0 && i < SEL4_MSGINFO_EXTRA_CAPS(info); i++) {
        uint64_t extra = buffer->caps_or_badges[i];
        inv.extra[i] = cspace_lookup(&t->cspace_root, extra, &why);
        if (inv.extra[i] == 0) {
            if (blocking)
                fault_raise(t, fault_cap(extra, 0), &why);
            return;
        }
    }
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
            ipc_send(t, slot, blocking, is_call);
            return;   /* the reply (if any) comes from the receiver */
        }
        notification_signal(slot);
        error = SEL4_NO_ERROR;
        break;
    default:
        error = decode_invocation(&inv);
        break;
    }
    if (is_call)
        reply_from_kernel(t, error, &inv);
}

/* seL4's handleRecv for SysRecv and SysNBRecv (and ReplyRecv's second
 * half): a bad cptr, a cap without Read or a cap that is neither an
 * endpoint nor a notification is a cap fault in the receive phase. */
static void handle_recv(int blocking)
{
    struct tcb *t = ksCurThread;
    uint64_t cptr = t->registers[0];
    struct lookup_fault why;
    struct cap *slot = cspace_lookup(&t->cspace_root, cptr, &why);
    if (slot == 0) {
        fault_raise(t, fault_cap(cptr, 1), &why);
        return;
    }
    int readable = (slot->rights & SEL4_CAN_READ) != 0;
    if (slot->tag == SEL4_CAP_TAG_ENDPOINT && readable) {
        ipc_recv(t, slot, blocking);
        return;
    }
    if (slot->tag == SEL4_CAP_TAG_NOTIFICATION && readable) {
        notification_wait(t, slot, blocking);
        return;
    }
    struct lookup_fault missing = { .type = LOOKUP_MISSING_CAPABILITY, .bits_left = 0 };
    fault_raise(t, fault_cap(cptr, 1), &missing);
}

/* Syscall numbers outside seL4's API and debug syscalls: an UnknownSyscall
 * fault (seL4's handleUnknownSyscall). */
static int is_debug_syscall(int64_t number)
{
    return number <= SEL4_SYS_DEBUG_PUTCHAR && number >= SEL4_SYS_DEBUG_NAME_THREAD;
}

static void handle_syscall(struct trap_registers r)
{
    struct tcb *t = ksCurThread;
    /* SVC's ELR is the next instruction; the svc itself is one word back. */
    t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP] - 4;
    int64_t number = (int64_t)t->registers[7];
    switch (number) {
    case SEL4_SYS_CALL:
        handle_invocation(1, 1);
        break;
    case SEL4_SYS_SEND:
        handle_invocation(0, 1);
        break;
    case SEL4_SYS_NBSEND:
        handle_invocation(0, 0);
        break;
    case SEL4_SYS_RECV:
        handle_recv(1);
        break;
    case SEL4_SYS_NBRECV:
        handle_recv(0);
        break;
    case SEL4_SYS_REPLY:
        ipc_reply(t);
        break;
    case SEL4_SYS_REPLY_RECV:
        ipc_reply(t);
        handle_recv(1);
        break;
    case SEL4_SYS_DEBUG_PUTCHAR:
        uart_putchar((char)t->registers[0]);
        break;
    case SEL4_SYS_YIELD:
        sched_yield();
        break;
    case SEL4_SYS_DEBUG_CAP_IDENTIFY:
        t->registers[0] = identify(t, t->registers[0]);
        break;
    case SEL4_SYS_DEBUG_HALT:
        kprintf("Debug halt syscall from user thread 0x%lx \"%s\"\n", (unsigned long)(uintptr_t)t,
                t->name);
        halt();
    default:
        if (is_debug_syscall(number))
            unsupported_syscall(number, r);
        fault_raise(t, fault_unknown_syscall((uint64_t)number), 0);
        break;
    }
    sched_choose();
}

static const char *trap_kind_name(uint64_t kind)
{
    switch (kind & 3) {
    case TRAP_IRQ: return "unexpected IRQ";
    case TRAP_FIQ: return "unexpected FIQ";
    case TRAP_SERROR: return "SError";
    default: return "exception";
    }
}

/* An interrupt, SError or AArch32 exception from EL0: none is set up. */
static __attribute__((noreturn)) void unexpected_trap(uint64_t kind, struct trap_registers r)
{
    struct tcb *t = ksCurThread;
    t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP];
    const char *what = (kind & 3) == TRAP_SYNC ? esr_class_name(r.esr) : trap_kind_name(kind);
    kprintf("stand-in: %s from user thread \"%s\" at pc 0x%lx ", what, t->name,
            (unsigned long)t->registers[REG_FAULT_IP]);
    print_trap_registers(r);
    kprintf(", halting\n");
    power_off();
}

void c_handle_user_trap(uint64_t kind)
{
    struct trap_registers r = read_trap_registers();
    struct tcb *t = ksCurThread;
    unsigned ec = (unsigned)ESR_EC(r.esr);
    if ((kind & 3) != TRAP_SYNC || (kind & ~UINT64_C(3)) != TRAP_FROM_EL0_A64)
        unexpected_trap(kind, r);
    if (ec == ESR_EC_SVC64) {
        handle_syscall(r);
        restore_user_context();
    }
    t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP];
    /* seL4's lower_el_sync: aborts are VM faults, everything else a user
     * exception carrying ESR (FP/SIMD is never trapped here). */
    if (ec == ESR_EC_DATA_ABORT_LOWER)
        fault_raise(t, fault_vm(r.far, r.esr, 0), 0);
    else if (ec == ESR_EC_INSTRUCTION_ABORT_LOWER)
        fault_raise(t, fault_vm(t->registers[REG_FAULT_IP], r.esr, 1), 0);
    else
        fault_raise(t, fault_user_exception(r.esr), 0);
    sched_choose();
    restore_user_context();
}

void c_handle_kernel_trap(uint64_t kind)
{
    /* A fault while reporting a fault (e.g. before the UART is mapped) must
     * not recurse: go straight to power-off the second time. */
    static int reporting;
    if (reporting)
        power_off();
    reporting = 1;
    struct trap_registers r = read_trap_registers();
    kprintf("stand-in: kernel bug: %s taken at EL1%s: %s at pc 0x%lx ",
            trap_kind_name(kind), (kind & ~UINT64_C(3)) == TRAP_FROM_EL1_SP0 ? " (SP_EL0)" : "",
            (kind & 3) == TRAP_SYNC ? esr_class_name(r.esr) : "-", (unsigned long)r.elr);
    print_trap_registers(r);
    kprintf(", halting\n");
    power_off();
}
