/* Traps from U-mode (after entry.S saved the context into ksCurThread) and
 * from the kernel. An ecall is a syscall (syscall.c); an instruction, load
 * or store page or access fault a VM fault (address stval; FSR the access
 * fault's cause, which seL4's handleVMFault reports for either kind;
 * prefetch for an instruction fault), any other exception a user exception (number
 * scause, code 0), as seL4's handle_exception; an interrupt (nothing
 * enables one) and every kernel trap end the run with one line. */
#include <stdint.h>

#include "abi.h"
#include "fault.h"
#include "power.h"
#include "sched.h"
#include "syscall.h"
#include "thread.h"
#include "uart.h"

#define SCAUSE_INTERRUPT          (UINT64_C(1) << 63)
#define SCAUSE_ECALL_FROM_U       8
#define SCAUSE_INSTRUCTION_ACCESS 1
#define SCAUSE_LOAD_ACCESS        5
#define SCAUSE_STORE_ACCESS       7
#define SCAUSE_INSTRUCTION_PAGE   12
#define SCAUSE_LOAD_PAGE          13
#define SCAUSE_STORE_PAGE         15

__attribute__((noreturn)) void c_handle_user_trap(uint64_t scause, uint64_t stval);
__attribute__((noreturn)) void c_handle_kernel_trap(uint64_t scause, uint64_t stval, uint64_t sepc);

static const char *cause_name(uint64_t scause)
{
    static const char *const names[] = {
        "instruction address misaligned", "instruction access fault", "illegal instruction",
        "breakpoint", "load address misaligned", "load access fault",
        "store address misaligned", "store access fault", "ecall from U-mode",
        "ecall from S-mode", "reserved", "ecall from M-mode", "instruction page fault",
        "load page fault", "reserved", "store page fault",
    };
    if (scause & SCAUSE_INTERRUPT)
        return "interrupt";
    return scause < sizeof names / sizeof names[0] ? names[scause] : "reserved";
}

void arch_unsupported_syscall(int64_t number)
{
    struct tcb *t = ksCurThread;
    kprintf("stand-in: unsupported syscall %ld (%s) from user thread \"%s\" at pc 0x%lx, halting\n",
            (long)number, abi_syscall_name(number), tcb_ext(t)->name,
            (unsigned long)t->registers[REG_FAULT_IP]);
    power_off();
}

void c_handle_user_trap(uint64_t scause, uint64_t stval)
{
    struct tcb *t = ksCurThread;
    if (scause & SCAUSE_INTERRUPT) {
        kprintf("stand-in: unexpected interrupt %lu from user thread \"%s\" at pc 0x%lx, halting\n",
                (unsigned long)(scause & ~SCAUSE_INTERRUPT), tcb_ext(t)->name,
                (unsigned long)t->registers[REG_FAULT_IP]);
        power_off();
    }
    if (scause == SCAUSE_ECALL_FROM_U) {
        /* sepc is the ecall itself; the thread resumes after it. */
        t->registers[REG_NEXT_IP] = t->registers[REG_FAULT_IP] + 4;
        handle_syscall();
        restore_user_context();
    }
    if (scause == SCAUSE_INSTRUCTION_PAGE || scause == SCAUSE_INSTRUCTION_ACCESS)
        fault_raise(t, fault_vm(stval, SCAUSE_INSTRUCTION_ACCESS, 1));
    else if (scause == SCAUSE_LOAD_PAGE || scause == SCAUSE_LOAD_ACCESS)
        fault_raise(t, fault_vm(stval, SCAUSE_LOAD_ACCESS, 0));
    else if (scause == SCAUSE_STORE_PAGE || scause == SCAUSE_STORE_ACCESS)
        fault_raise(t, fault_vm(stval, SCAUSE_STORE_ACCESS, 0));
    else
        fault_raise(t, fault_user_exception(scause));
    sched_choose();
    restore_user_context();
}

void c_handle_kernel_trap(uint64_t scause, uint64_t stval, uint64_t sepc)
{
    /* A fault while reporting a fault must not recurse. */
    static int reporting;
    if (reporting)
        power_off();
    reporting = 1;
    kprintf("stand-in: kernel bug: %s taken in S-mode at pc 0x%lx (scause 0x%lx, stval 0x%lx), "
            "halting\n", cause_name(scause), (unsigned long)sepc, (unsigned long)scause,
            (unsigned long)stval);
    power_off();
}
