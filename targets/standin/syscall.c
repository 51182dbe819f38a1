/* Everything that enters the kernel after boot: syscalls from user threads,
 * their faults, and (never expected) interrupts or kernel faults. Call and
 * Send (invocations, endpoint Send), Recv, Yield and the debug syscalls a
 * root task needs are implemented; anything else ends the run with one line
 * that says what happened. */
#include <stdint.h>

#include "cspace.h"
#include "esr.h"
#include "invocation.h"
#include "ipc.h"
#include "power.h"
#include "sched.h"
#include "sel4_abi.h"
#include "thread.h"
#include "traps.h"
#include "uart.h"

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

/* A cptr that names no slot: seL4 raises a cap fault, and with no fault
 * handler the thread is stopped. The stand-in stops the run instead. */
static __attribute__((noreturn)) void cap_fault(const char *what, uint64_t cptr)
{
    struct tcb *t = ksCurThread;
    kprintf("stand-in: cap fault: %s 0x%lx from user thread \"%s\" at pc 0x%lx, halting\n", what,
            (unsigned long)cptr, t->name, (unsigned long)t->registers[REG_FAULT_IP]);
    power_off();
}

/* The slot a cptr names in the thread's CSpace (depth 64), or 0. */
static struct cap *lookup_slot(struct tcb *t, uint64_t cptr)
{
    unsigned bits_left;
    if (t->cspace_root.tag != SEL4_CAP_TAG_CNODE)
        return 0;
    return cspace_resolve(&t->cspace_root, cptr, SEL4_WORD_BITS, &bits_left);
}

static unsigned identify(struct tcb *t, uint64_t cptr)
{
    struct cap *slot = lookup_slot(t, cptr);
    return slot == 0 ? SEL4_CAP_TAG_NULL : slot->tag;
}

/* SysCall / SysSend on a cptr: IPC for an endpoint, else an invocation,
 * whose result (Call only) comes back as the reply label. */
static void handle_send_or_call(int64_t number, struct trap_registers r)
{
    struct tcb *t = ksCurThread;
    uint64_t cptr = t->registers[0], info = t->registers[1];
    struct cap *slot = lookup_slot(t, cptr);
    if (slot == 0)
        cap_fault("invalid cptr", cptr);
    if (slot->tag == SEL4_CAP_TAG_ENDPOINT) {
        if (number == SEL4_SYS_CALL)
            unsupported_syscall(number, r);   /* needs reply caps */
        if (!(slot->rights & SEL4_CAN_WRITE))
            cap_fault("send on an endpoint cap without write right, cptr", cptr);
        ipc_send(t, slot);
        return;
    }
    struct invocation inv = { .caller = t, .slot = slot, .label = SEL4_MSGINFO_LABEL(info),
                              .length = SEL4_MSGINFO_LENGTH(info) };
    if (inv.length > SEL4_MSG_MAX_LENGTH)
        inv.length = SEL4_MSG_MAX_LENGTH;
    seL4_IPCBuffer *buffer = thread_ipc_buffer(t);
    for (unsigned i = 0; buffer != 0 && i < SEL4_MSGINFO_EXTRA_CAPS(info); i++) {
        inv.extra[i] = lookup_slot(t, buffer->caps_or_badges[i]);
        if (inv.extra[i] == 0)
            cap_fault("invalid extra cap cptr", buffer->caps_or_badges[i]);
    }
    unsigned error = decode_invocation(&inv);
    if (number != SEL4_SYS_CALL)
        return;
    unsigned length = error == SEL4_NO_ERROR ? 0 : inv.error_length;
    t->registers[1] = SEL4_MSGINFO(error, 0, 0, length);
    for (unsigned i = 0; i < length; i++)
        t->registers[2 + i] = inv.error_mr[i];
}

static void handle_recv(struct trap_registers r)
{
    struct tcb *t = ksCurThread;
    uint64_t cptr = t->registers[0];
    struct cap *slot = lookup_slot(t, cptr);
    if (slot == 0)
        cap_fault("invalid cptr", cptr);
    if (slot->tag != SEL4_CAP_TAG_ENDPOINT)
        unsupported_syscall(SEL4_SYS_RECV, r);   /* notifications: not offered */
    if (!(slot->rights & SEL4_CAN_READ))
        cap_fault("receive on an endpoint cap without read right, cptr", cptr);
    ipc_recv(t, slot);
}

static void handle_syscall(struct trap_registers r)
{
    struct tcb *t = ksCurThread;
    /* SVC's ELR is the next instruction; the svc itself is one word back. */
    t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP] - 4;
    int64_t number = (int64_t)t->registers[7];
    switch (number) {
    case SEL4_SYS_CALL:
    case SEL4_SYS_SEND:
        handle_send_or_call(number, r);
        break;
    case SEL4_SYS_RECV:
        handle_recv(r);
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
        unsupported_syscall(number, r);
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

void c_handle_user_trap(uint64_t kind)
{
    struct trap_registers r = read_trap_registers();
    struct tcb *t = ksCurThread;
    if ((kind & 3) == TRAP_SYNC && ESR_EC(r.esr) == ESR_EC_SVC64 &&
        (kind & ~UINT64_C(3)) == TRAP_FROM_EL0_A64) {
        handle_syscall(r);
        restore_user_context();
    }
    t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP];
    const char *what = (kind & 3) == TRAP_SYNC ? esr_class_name(r.esr) : trap_kind_name(kind);
    kprintf("stand-in: %s from user thread \"%s\" at pc 0x%lx", what, t->name,
            (unsigned long)t->registers[REG_FAULT_IP]);
    unsigned ec = (unsigned)ESR_EC(r.esr);
    if ((kind & 3) == TRAP_SYNC && (ec == 0x20 || ec == 0x24))
        kprintf(", address 0x%lx", (unsigned long)r.far);
    kprintf(" ");
    print_trap_registers(r);
    kprintf(", halting\n");
    power_off();
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
