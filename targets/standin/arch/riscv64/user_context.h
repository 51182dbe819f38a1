/* The saved user context of a thread on riscv64, in seL4's register order
 * (include/arch/riscv/arch/machine/registerset.h), so that
 * `((uint64_t *)ksCurThread)[34]` is the thread's next PC on both kernels.
 * trap.S uses the offsets, hence plain #defines. */
#ifndef STANDIN_USER_CONTEXT_H
#define STANDIN_USER_CONTEXT_H

#define REG_RA          0
#define REG_SP          1
#define REG_GP          2
#define REG_TP          3
#define REG_T0          4
#define REG_A0          9     /* cap register, badge, first argument */
#define REG_A1          10    /* message info */
#define REG_A7          16    /* syscall number */
#define REG_SCAUSE      31
#define REG_SSTATUS     32
#define REG_FAULT_IP    33    /* sepc of the trap */
#define REG_NEXT_IP     34    /* where sret resumes */
#define REG_COUNT       35

#define REG_OFFSET(n)   ((n) * 8)

/* Roles (seL4's capRegister/badgeRegister a0, msgInfoRegister a1,
 * msgRegisters a2..a5, MCS replyRegister a6 and nbsendRecvDest t0, the
 * syscall number a7). */
#define REG_CAP              REG_A0
#define REG_MSG_INFO         REG_A1
#define REG_MR(i)            (11 + (i))
#define REG_REPLY            15
#define REG_SYSCALL_NUMBER   REG_A7
#define REG_NBSEND_RECV_DEST REG_T0

/* seL4_UserContext's order (pc, ra, sp, gp, s0..s11, a0..a7, t0..t6, tp),
 * the registers of an UnknownSyscall (FaultIP, SP, RA, a0..a6) and a
 * UserException (FaultIP, SP) fault message. */
#define USER_CONTEXT_REGISTERS { \
    REG_FAULT_IP, 0, 1, 2, 7, 8, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, \
    9, 10, 11, 12, 13, 14, 15, 16, 4, 5, 6, 27, 28, 29, 30, 3 }
#define SYSCALL_MESSAGE_REGISTERS { REG_FAULT_IP, 1, 0, 9, 10, 11, 12, 13, 14, 15 }
#define EXCEPTION_MESSAGE_REGISTERS { REG_FAULT_IP, 1 }

/* A new thread's status register. */
#define REG_STATUS           REG_SSTATUS
#define USER_STATUS_INITIAL  SSTATUS_USER_INITIAL

#ifndef __ASSEMBLER__
#include <stdint.h>
/* seL4's sanitiseRegister on RISC-V keeps every value. */
static inline uint64_t user_register_sanitise(unsigned reg, uint64_t value)
{
    (void)reg;
    return value;
}
#endif

/* sstatus.SPIE: what seL4 gives a new thread (user mode, FPU off). */
#define SSTATUS_USER_INITIAL 0x20

#endif
