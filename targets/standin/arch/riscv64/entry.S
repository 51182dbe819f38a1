/* Trap entry and restore_user_context.
 *
 * While a user thread runs, sscratch holds the address of
 * ksCurThread->registers (seL4 does the same), so a trap from U-mode saves
 * the user registers straight into the TCB; while the kernel runs sscratch
 * is 0, which tells a kernel trap (always a bug) from a user one. Each
 * entry starts on an empty kernel stack: the kernel never resumes a
 * half-done kernel path. */
#include "config.h"
#include "user_context.h"

    .text
    .balign 4
    .global trap_entry
trap_entry:
    csrrw   t0, sscratch, t0
    beqz    t0, kernel_trap
    sd      ra, REG_OFFSET(0)(t0)
    sd      sp, REG_OFFSET(1)(t0)
    sd      gp, REG_OFFSET(2)(t0)
    sd      tp, REG_OFFSET(3)(t0)
    /* The user's t0 is in sscratch; leave 0 there (now in the kernel). */
    csrrw   ra, sscratch, zero
    sd      ra, REG_OFFSET(4)(t0)
    sd      t1, REG_OFFSET(5)(t0)
    sd      t2, REG_OFFSET(6)(t0)
    sd      s0, REG_OFFSET(7)(t0)
    sd      s1, REG_OFFSET(8)(t0)
    sd      a0, REG_OFFSET(9)(t0)
    sd      a1, REG_OFFSET(10)(t0)
    sd      a2, REG_OFFSET(11)(t0)
    sd      a3, REG_OFFSET(12)(t0)
    sd      a4, REG_OFFSET(13)(t0)
    sd      a5, REG_OFFSET(14)(t0)
    sd      a6, REG_OFFSET(15)(t0)
    sd      a7, REG_OFFSET(16)(t0)
    sd      s2, REG_OFFSET(17)(t0)
    sd      s3, REG_OFFSET(18)(t0)
    sd      s4, REG_OFFSET(19)(t0)
    sd      s5, REG_OFFSET(20)(t0)
    sd      s6, REG_OFFSET(21)(t0)
    sd      s7, REG_OFFSET(22)(t0)
    sd      s8, REG_OFFSET(23)(t0)
    sd      s9, REG_OFFSET(24)(t0)
    sd      s10, REG_OFFSET(25)(t0)
    sd      s11, REG_OFFSET(26)(t0)
    sd      t3, REG_OFFSET(27)(t0)
    sd      t4, REG_OFFSET(28)(t0)
    sd      t5, REG_OFFSET(29)(t0)
    sd      t6, REG_OFFSET(30)(t0)
    csrr    a0, scause
    sd      a0, REG_OFFSET(REG_SCAUSE)(t0)
    csrr    a1, sstatus
    sd      a1, REG_OFFSET(REG_SSTATUS)(t0)
    csrr    a2, sepc
    sd      a2, REG_OFFSET(REG_FAULT_IP)(t0)
    sd      a2, REG_OFFSET(REG_NEXT_IP)(t0)
.option push
.option norelax
    la      gp, __global_pointer$
.option pop
    la      sp, kernel_stack_alloc + KERNEL_STACK_SIZE
    csrr    a1, stval
    /* a0 = scause, a1 = stval */
    call    c_handle_user_trap
    /* not reached: the handler resumes a thread or powers off */
1:  j       1b

kernel_trap:
    /* Put the kernel's t0 back (sscratch is 0 again) and report. */
    csrrw   t0, sscratch, t0
    la      sp, fault_stack + FAULT_STACK_SIZE
    csrr    a0, scause
    csrr    a1, stval
    csrr    a2, sepc
    call    c_handle_kernel_trap
2:  j       2b

    .global restore_user_context
    .type restore_user_context, @function
restore_user_context:
    la      t0, ksCurThread
    ld      t0, 0(t0)
    ld      t1, REG_OFFSET(REG_NEXT_IP)(t0)
    csrw    sepc, t1
    ld      t1, REG_OFFSET(REG_SSTATUS)(t0)
    csrw    sstatus, t1
    csrw    sscratch, t0
    ld      ra, REG_OFFSET(0)(t0)
    ld      sp, REG_OFFSET(1)(t0)
    ld      gp, REG_OFFSET(2)(t0)
    ld      tp, REG_OFFSET(3)(t0)
    ld      t1, REG_OFFSET(5)(t0)
    ld      t2, REG_OFFSET(6)(t0)
    ld      s0, REG_OFFSET(7)(t0)
    ld      s1, REG_OFFSET(8)(t0)
    ld      a0, REG_OFFSET(9)(t0)
    ld      a1, REG_OFFSET(10)(t0)
    ld      a2, REG_OFFSET(11)(t0)
    ld      a3, REG_OFFSET(12)(t0)
    ld      a4, REG_OFFSET(13)(t0)
    ld      a5, REG_OFFSET(14)(t0)
    ld      a6, REG_OFFSET(15)(t0)
    ld      a7, REG_OFFSET(16)(t0)
    ld      s2, REG_OFFSET(17)(t0)
    ld      s3, REG_OFFSET(18)(t0)
    ld      s4, REG_OFFSET(19)(t0)
    ld      s5, REG_OFFSET(20)(t0)
    ld      s6, REG_OFFSET(21)(t0)
    ld      s7, REG_OFFSET(22)(t0)
    ld      s8, REG_OFFSET(23)(t0)
    ld      s9, REG_OFFSET(24)(t0)
    ld      s10, REG_OFFSET(25)(t0)
    ld      s11, REG_OFFSET(26)(t0)
    ld      t3, REG_OFFSET(27)(t0)
    ld      t4, REG_OFFSET(28)(t0)
    ld      t5, REG_OFFSET(29)(t0)
    ld      t6, REG_OFFSET(30)(t0)
    ld      t0, REG_OFFSET(4)(t0)
    sret
    .size restore_user_context, . - restore_user_context

    .section .bss.stack, "aw", @nobits
    .balign 16
fault_stack:
    .space  FAULT_STACK_SIZE
