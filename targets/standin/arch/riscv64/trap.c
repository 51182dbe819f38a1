/* Traps from U-mode and from the kernel. An ecall is a syscall, numbered as
 * the ABI table numbers the build's release (syscall numbers are the same
 * on every architecture); the stage offers the debug console and halt. What
 * it does not offer yet ends the run with one line naming what happened. */
#include <stdint.h>

#include "abi.h"
#include "config.h"
#include "power.h"
#include "release.h"
#include "rv_thread.h"
#include "sel4_abi_table.h"
#include "uart.h"

/* In .bss like seL4's: NULL until init_kernel creates the root thread. */
struct tcb *ksCurThread;

/* seL4's idle thread TCB, one per hart, in ._idle_thread (2^seL4_TCBBits). */
char ksIdleThreadTCB[MAX_NUM_NODES][2048] __attribute__((section("._idle_thread"), aligned(2048), used));

#define SCAUSE_INTERRUPT     (UINT64_C(1) << 63)
#define SCAUSE_ECALL_FROM_U  8

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

static int is_syscall(int64_t number, enum sel4_syscall which)
{
    int64_t n = kernel_abi()->syscall[which];
    return n != 0 && n == number;
}

void c_handle_user_trap(uint64_t scause, uint64_t stval)
{
    struct tcb *t = ksCurThread;
    if (scause == SCAUSE_ECALL_FROM_U) {
        /* sepc is the ecall itself; resume after it. */
        t->registers[REG_NEXT_IP] = t->registers[REG_FAULT_IP] + 4;
        int64_t number = (int64_t)t->registers[REG_A7];
        if (is_syscall(number, SEL4_SYSCALL_DebugPutChar)) {
            uart_putchar((char)t->registers[REG_A0]);
            restore_user_context();
        }
        if (is_syscall(number, SEL4_SYSCALL_DebugHalt)) {
            kprintf("Debug halt syscall from user thread 0x%lx \"%s\"\n",
                    (unsigned long)(uintptr_t)t, t->name);
            halt();
        }
        kprintf("stand-in: unsupported syscall %ld from user thread \"%s\" at pc 0x%lx "
                "(riscv64 offers DebugPutChar and DebugHalt so far), halting\n",
                (long)number, t->name, (unsigned long)t->registers[REG_FAULT_IP]);
        power_off();
    }
    kprintf("stand-in: %s from user thread \"%s\" at pc 0x%lx (scause 0x%lx, stval 0x%lx), "
            "halting\n", cause_name(scause), t->name, (unsigned long)t->registers[REG_FAULT_IP],
            (unsigned long)scause, (unsigned long)stval);
    power_off();
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
