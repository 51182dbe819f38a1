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

/* sstatus.SPIE: what seL4 gives a new thread (user mode, FPU off). */
#define SSTATUS_USER_INITIAL 0x20

#endif
