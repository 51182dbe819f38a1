/* The saved user context of a thread on AArch64, in seL4's register order
 * (`((uint64_t *)ksCurThread)[32]` is the next PC on both kernels), and the
 * registers seL4's ABI gives a role. Shared by C and assembly. */
#ifndef STANDIN_USER_CONTEXT_H
#define STANDIN_USER_CONTEXT_H

#define REG_X0          0
#define REG_X30         30
#define REG_SP_EL0      31
#define REG_NEXT_IP     32    /* ELR_EL1: where eret resumes */
#define REG_SPSR        33
#define REG_FAULT_IP    34    /* address of the instruction that trapped */
#define REG_TPIDR_EL0   35
#define REG_TPIDRRO_EL0 36
#define REG_COUNT       37

/* Byte offset of register n in the array, for assembly. */
#define REG_OFFSET(n)   ((n) * 8)

/* EL0t with FIQ masked: what seL4's debug build gives a new thread. */
#define SPSR_USER_INITIAL 0x40

/* Roles (seL4's capRegister/badgeRegister, msgInfoRegister, msgRegisters,
 * MCS replyRegister and nbsendRecvDest, the syscall number). */
#define REG_CAP              0
#define REG_MSG_INFO         1
#define REG_MR(i)            (2 + (i))
#define REG_REPLY            6
#define REG_SYSCALL_NUMBER   7
#define REG_NBSEND_RECV_DEST 8
#define REG_SP               REG_SP_EL0

/* seL4_UserContext's order (TCB_ReadRegisters/WriteRegisters), the
 * registers of an UnknownSyscall and a UserException fault message. */
#define USER_CONTEXT_REGISTERS { \
    REG_FAULT_IP, REG_SP_EL0, REG_SPSR, \
    0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 29, 30, \
    9, 10, 11, 12, 13, 14, 15, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, \
    REG_TPIDR_EL0, REG_TPIDRRO_EL0 }
#define SYSCALL_MESSAGE_REGISTERS { 0, 1, 2, 3, 4, 5, 6, 7, REG_FAULT_IP, REG_SP_EL0, REG_NEXT_IP, REG_SPSR }
#define EXCEPTION_MESSAGE_REGISTERS { REG_FAULT_IP, REG_SP_EL0, REG_SPSR }

/* A new thread's status register. */
#define REG_STATUS           REG_SPSR
#define USER_STATUS_INITIAL  SPSR_USER_INITIAL

#ifndef __ASSEMBLER__
#include <stdint.h>
/* seL4's sanitiseRegister: of a new SPSR only the flags (NZCV) are the user's. */
static inline uint64_t user_register_sanitise(unsigned reg, uint64_t value)
{
    return reg == REG_SPSR ? (value & UINT64_C(0xf0000000)) | SPSR_USER_INITIAL : value;
}
#endif

#endif
