/* The riscv64 stage's thread: seL4's register array first (user_context.h),
 * so ksCurThread points at the saved registers, as on seL4. The shared
 * thread model (thread.h) replaces it once riscv64 compiles the whole model. */
#ifndef STANDIN_RV_THREAD_H
#define STANDIN_RV_THREAD_H

#include <stdint.h>

#include "user_context.h"

struct tcb {
    uint64_t registers[REG_COUNT];
    char name[64];
};

extern struct tcb *ksCurThread;

__attribute__((noreturn)) void restore_user_context(void);

#endif
