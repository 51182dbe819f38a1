/* A minimal riscv64 loader for the emu-check tests, built per test with
 * riscv64-linux-gnu-gcc and -D switches that break one thing each: it copies
 * a tiny kernel and root task (kernel.elf / roottask.elf, .incbin'd whole:
 * their one PT_LOAD starts at file offset 0) to their physical addresses,
 * maps 1 GiB identity over itself and the 1 GiB kernel window with Sv39
 * leaves, turns satp on and jumps to the kernel with a0..a5 = USER_PA,
 * USER_PA + USER_SPAN, PV, ROOTTASK_ENTRY, 0, 0 (no DTB). Not a loader
 * anybody should use: it knows its inputs at build time. */
#ifndef KWIN_FLAGS
#define KWIN_FLAGS 0xcf            /* D A - - X W R V */
#endif
#ifndef A1_DELTA
#define A1_DELTA 0
#endif
#ifndef A2_DELTA
#define A2_DELTA 0
#endif
#ifndef A3_DELTA
#define A3_DELTA 0
#endif

    .section .text.start, "ax"
    .globl _start
_start:
    la t0, kernel_blob
    la t1, kernel_blob_end
    li t2, KERNEL_PA
    call copy
#ifndef SKIP_ROOTTASK_COPY
    la t0, user_blob
    la t1, user_blob_end
    li t2, USER_PA
    call copy
#endif
    la t0, root_table
    li t1, ((0x80000000 >> 12) << 10) | 0xcf
    sd t1, 2*8(t0)                  /* VA 0x80000000: identity, 1 GiB */
    li t1, ((0x80000000 >> 12) << 10) | KWIN_FLAGS
    li t3, 510*8
    add t3, t3, t0
    sd t1, 0(t3)                    /* VA 0xffffffff80000000 -> PA 0x80000000, 1 GiB */
    srli t1, t0, 12
    li t2, 8 << 60
    or t1, t1, t2
    sfence.vma
    csrw satp, t1
    sfence.vma
    li a0, USER_PA
    li a1, USER_PA + USER_SPAN + A1_DELTA
    li a2, USER_PA - USER_VA + A2_DELTA
    li a3, ROOTTASK_ENTRY + A3_DELTA
    li a4, 0
    li a5, 0
    li t0, KERNEL_ENTRY
    jr t0

copy:                               /* bytes [t0, t1) to t2 */
    bgeu t0, t1, 2f
    lb t3, 0(t0)
    sb t3, 0(t2)
    addi t0, t0, 1
    addi t2, t2, 1
    j copy
2:  ret

    .section .data
    .balign 4096
root_table:
    .zero 4096
kernel_blob:
    .incbin "kernel.elf"
kernel_blob_end:
user_blob:
    .incbin "roottask.elf"
user_blob_end:
