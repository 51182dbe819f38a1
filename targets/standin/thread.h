/* The thread control block and the saved user context.
 *
 * The register array comes first and uses seL4's aarch64 order, so
 * `((uint64_t *)ksCurThread)[32]` is the thread's next PC on both kernels and
 * one GDB script serves both. The assembly in vectors.S uses the REG_*
 * offsets below, hence the #ifndef __ASSEMBLER__ split. */
#ifndef STANDIN_THREAD_H
#define STANDIN_THREAD_H

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

#ifndef __ASSEMBLER__
#include <stdint.h>

struct tcb {
    uint64_t registers[REG_COUNT];
    char name[16];
};

/* The thread eret will resume. Named like seL4's so debug scripts find it. */
extern struct tcb *ksCurThread;

/* Loads ksCurThread's saved context and returns to EL0. Never returns. */
__attribute__((noreturn)) void restore_user_context(void);
#endif

#endif
