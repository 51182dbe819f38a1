/* Loader entry. OpenSBI (QEMU -bios default, Debian's fw_jump / fw_dynamic)
 * jumps here in S-mode with the MMU off, a0 = this hart's id, a1 = its DTB.
 * Before any C runs: interrupts off, a trap handler that reports (stvec), a
 * stack and a zeroed .bss. The code is position-independent (medany, auipc),
 * so it runs long enough to say where it was linked if that is wrong. */
    .section .text.start, "ax"
    .global _start
_start:
    /* A hart can arrive here after the boot hart: OpenSBI before v1.3 sets
     * a started hart's HSM state to START_PENDING before it stores that
     * hart's start address and argument, and a hart spinning in its HSM wait
     * (the cold-boot IPI left pending, so its wfi does not sleep) can leave
     * with the address and argument the boot hart was entered with. The
     * first hart through claims the boot; a later one is a started hart and
     * goes where hart_start sent it (smp.c starts harts before the kernel is
     * copied over a branch here at OpenSBI's next address). */
    lla     t0, boot_claimed
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez    t1, late_at_boot_entry
    csrw    sie, zero
    csrci   sstatus, 2              /* SIE */
    lla     t0, trap_entry
    csrw    stvec, t0
    lla     sp, __stack_top
    mv      s0, a0
    mv      s1, a1
    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  mv      a0, s0
    mv      a1, s1
    call    loader_main
    tail    loader_halt

/* Where SBI HSM hart_start enters another hart (smp.c): a0 = hart id. The
 * logical core id is read from smp_starting_core, not from a1: an OpenSBI
 * before v1.3 can pass the previous argument (the boot hart's DTB address),
 * as above. Harts are started one at a time; smp.c checks a0 is the hart it
 * started. Each core has a 4 KiB stack of its own. */
    .global secondary_entry
secondary_entry:
    li      a2, 0                   /* came in where hart_start said */
    j       1f
late_at_boot_entry:
    li      a2, 1                   /* came in at _start (above) */
1:  csrw    sie, zero
    csrci   sstatus, 2              /* SIE */
    lla     t0, trap_entry
    csrw    stvec, t0
    lla     t0, smp_starting_core
    ld      a1, 0(t0)
    lla     sp, __smp_stacks_start
    addi    t0, a1, 1
    slli    t0, t0, 12
    add     sp, sp, t0
    call    smp_secondary_main
    tail    loader_halt

/* Every trap the loader takes (and one a kernel takes before it sets its own
 * stvec) is reported in words and stops the machine. The exception stack is
 * identity-mapped both before and after satp is set. */
    .balign 4
    .global trap_entry
trap_entry:
    lla     sp, __exception_stack_top
    csrr    a0, scause
    csrr    a1, sepc
    csrr    a2, stval
    csrr    a3, sstatus
    csrr    a4, satp
    call    loader_trap
    tail    loader_halt

/* 0 until a hart enters _start; in .data, as _start zeroes .bss. */
    .section .data
    .balign 4
boot_claimed:
    .word   0
