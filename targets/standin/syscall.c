/* Everything that enters the kernel after boot: syscalls from the root task,
 * its faults, and (never expected) interrupts or kernel faults. Only the
 * debug syscalls a root task needs to report its checks are implemented;
 * anything else ends the run with one line that says what happened. */
#include <stdint.h>

#include "cspace.h"
#include "esr.h"
#include "power.h"
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

static void handle_syscall(struct trap_registers r)
{
    struct tcb *t = ksCurThread;
    /* SVC's ELR is the next instruction; the svc itself is one word back. */
    t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP] - 4;
    int64_t number = (int64_t)t->registers[7];
    switch (number) {
    case SEL4_SYS_DEBUG_PUTCHAR:
        uart_putchar((char)t->registers[0]);
        return;
    case SEL4_SYS_YIELD:
        /* The root task is the only thread: it is scheduled again at once. */
        return;
    case SEL4_SYS_DEBUG_CAP_IDENTIFY:
        t->registers[0] = cspace_identify(t->registers[0]);
        return;
    case SEL4_SYS_DEBUG_HALT:
        kprintf("Debug halt syscall from user thread 0x%lx \"%s\"\n", (unsigned long)(uintptr_t)t,
                t->name);
        halt();
    default:
        unsupported_syscall(number, r);
    }
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
