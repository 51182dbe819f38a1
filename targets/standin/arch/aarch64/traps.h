/* Exception entry kinds, shared by vectors.S and the C handlers. */
#ifndef STANDIN_TRAPS_H
#define STANDIN_TRAPS_H

#define TRAP_SYNC    0
#define TRAP_IRQ     1
#define TRAP_FIQ     2
#define TRAP_SERROR  3

/* Which vector group the exception came through. */
#define TRAP_FROM_EL1_SP0   (0 << 2)
#define TRAP_FROM_EL1_SPX   (1 << 2)
#define TRAP_FROM_EL0_A64   (2 << 2)
#define TRAP_FROM_EL0_A32   (3 << 2)

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Exception from EL0; the user context is already saved in ksCurThread.
 * Either resumes the thread (restore_user_context) or powers off. */
__attribute__((noreturn)) void c_handle_user_trap(uint64_t kind);

/* Exception taken by the kernel itself: always a kernel bug. */
__attribute__((noreturn)) void c_handle_kernel_trap(uint64_t kind);
#endif

#endif
