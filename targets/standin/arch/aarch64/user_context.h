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

#endif
