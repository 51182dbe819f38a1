/* The jump into the kernel: satp on (the loader's identity map keeps this
 * code reachable), then a0..a5 from the hand-off block, a6 = hart id,
 * a7 = core id, and a branch to the kernel's virtual entry.
 *
 * void enter_kernel(const struct riscv_handoff *h, uint64_t hart, uint64_t core)
 * struct layout (mmu.h): a[6] at 0..40, satp at 48, entry at 56. */
    .section .text, "ax"
    .global enter_kernel
enter_kernel:
    mv      a6, a1
    mv      a7, a2
    ld      t0, 48(a0)
    ld      t1, 56(a0)
    sfence.vma
    csrw    satp, t0
    sfence.vma
    ld      a1, 8(a0)
    ld      a2, 16(a0)
    ld      a3, 24(a0)
    ld      a4, 32(a0)
    ld      a5, 40(a0)
    ld      a0, 0(a0)
    fence.i
    jr      t1
