/* AArch64 exception entry from EL0 (after vectors.S saved the context)
 * and from EL1: an SVC is a syscall (syscall.c), an abort a VM fault, any
 * other synchronous exception a user exception (fault.c); an interrupt,
 * SError or AArch32 exception (nothing sets them up) and every kernel
 * exception end the run with one line. */
#include <stdint.h>

#include "abi.h"
#include "esr.h"
#include "fault.h"
#include "power.h"
#include "sched.h"
#include "syscall.h"
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

static void print_trap_registers(struct trap_registers r)
{
    char detail[80];
    esr_fault_detail(r.esr, detail, sizeof detail);
    kprintf("(ESR_EL1 0x%lx: EC 0x%lx %s%s; ELR_EL1 0x%lx; FAR_EL1 0x%lx)",
            (unsigned long)r.esr, (unsigned long)ESR_EC(r.esr), esr_class_name(r.esr), detail,
            (unsigned long)r.elr, (unsigned long)r.far);
}

void arch_unsupported_syscall(int64_t number)
{
    struct trap_registers r = read_trap_registers();
    struct tcb *t = ksCurThread;
    kprintf("stand-in: unsupported syscall %ld (%s) from user thread \"%s\" at pc 0x%lx ",
            (long)number, abi_syscall_name(number), tcb_ext(t)->name,
            (unsigned long)t->registers[REG_FAULT_IP]);
    print_trap_registers(r);
    kprintf(", halting\n");
    power_off();
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
    kprintf("stand-in: %s from user thread \"%s\" at pc 0x%lx ", what, tcb_ext(t)->name,
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
        /* SVC's ELR is the next instruction; the svc itself is one word back. */
        t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP] - 4;
        handle_syscall();
        restore_user_context();
    }
    t->registers[REG_FAULT_IP] = t->registers[REG_NEXT_IP];
    /* seL4's lower_el_sync: aborts are VM faults, everything else a user
     * exception carrying ESR (FP/SIMD is never trapped here). */
    if (ec == ESR_EC_DATA_ABORT_LOWER)
        fault_raise(t, fault_vm(r.far, r.esr, 0));
    else if (ec == ESR_EC_INSTRUCTION_ABORT_LOWER)
        fault_raise(t, fault_vm(t->registers[REG_FAULT_IP], r.esr, 1));
    else
        fault_raise(t, fault_user_exception(r.esr));
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
