/* Bulk copy, zero and code-cache maintenance for loading images. The
 * loader's cost is dominated by these loops, so they are written for the
 * fewest instructions per byte: LD1/ST1 of four SIMD registers move 64 bytes
 * in one instruction and advance the pointer themselves (post-index), and
 * the loops are unrolled so that their two instructions of control are
 * spread over 512 bytes (copy) or 2 KiB (zero).
 *
 * Zeroing uses ST1 of four zeroed registers rather than DC ZVA: DC ZVA takes
 * no offset and no post-index, so each 64-byte block costs it an ADD as well
 * (two instructions per 64 bytes, ST1 one), and it needs DCZID_EL0 read and a
 * fallback for DZP. Both write whole lines through the cache.
 *
 * All of them need the MMU on (Normal memory): unaligned SIMD accesses fault
 * on Device memory, which is what memory is with the MMU off. FP/SIMD is
 * enabled by crt0. Only caller-saved SIMD registers are used (v0-v7,
 * v16-v23). */

    .text
/* void load_copy(void *dst, const void *src, uint64_t n)
 * Copies forwards, and every byte is loaded before anything at or above it
 * is stored, so it is also correct for overlapping ranges with dst < src
 * (memmove relies on that). */
    .global load_copy
load_copy:
    cmp     x2, #512
    b.lo    2f
    and     x4, x2, #~511
    add     x3, x1, x4              /* end of the source's whole 512-byte blocks */
    and     x2, x2, #511
1:
    .rept   4
    ld1     {v0.2d, v1.2d, v2.2d, v3.2d}, [x1], #64
    ld1     {v4.2d, v5.2d, v6.2d, v7.2d}, [x1], #64
    st1     {v0.2d, v1.2d, v2.2d, v3.2d}, [x0], #64
    st1     {v4.2d, v5.2d, v6.2d, v7.2d}, [x0], #64
    .endr
    cmp     x1, x3
    b.lo    1b
2:  cmp     x2, #64
    b.lo    3f
    ld1     {v0.2d, v1.2d, v2.2d, v3.2d}, [x1], #64
    st1     {v0.2d, v1.2d, v2.2d, v3.2d}, [x0], #64
    sub     x2, x2, #64
    b       2b
3:  cmp     x2, #16
    b.lo    4f
    ldr     q0, [x1], #16
    str     q0, [x0], #16
    sub     x2, x2, #16
    b       3b
4:  cbz     x2, 9f
    ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    sub     x2, x2, #1
    b       4b
9:  ret

/* void load_zero(void *dst, uint64_t n) */
    .global load_zero
load_zero:
    movi    v0.2d, #0
    movi    v1.2d, #0
    movi    v2.2d, #0
    movi    v3.2d, #0
    cmp     x1, #2048
    b.lo    2f
    and     x4, x1, #~2047
    add     x3, x0, x4              /* end of the whole 2 KiB blocks */
    and     x1, x1, #2047
1:
    .rept   32
    st1     {v0.2d, v1.2d, v2.2d, v3.2d}, [x0], #64
    .endr
    cmp     x0, x3
    b.lo    1b
2:  cmp     x1, #64
    b.lo    3f
    st1     {v0.2d, v1.2d, v2.2d, v3.2d}, [x0], #64
    sub     x1, x1, #64
    b       2b
3:  cmp     x1, #16
    b.lo    4f
    str     q0, [x0], #16
    sub     x1, x1, #16
    b       3b
4:  cbz     x1, 9f
    strb    wzr, [x0], #1
    sub     x1, x1, #1
    b       4b
9:  ret

/* void cache_sync_code(uint64_t start, uint64_t end): clean the D-cache to
 * the point of unification over [start, end) so that instruction fetches
 * see the copied code once the I-cache is invalidated. DC CVAU takes one
 * line per instruction and no post-index, so a line costs two instructions;
 * eight lines per iteration keep the loop's control small. */
    .global cache_sync_code
cache_sync_code:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         /* DminLine: log2(words) */
    add     x3, x3, #2              /* log2(bytes) */
    mov     x2, #1
    lsl     x2, x2, x3              /* line size */
    sub     x4, x2, #1
    bic     x0, x0, x4
    cmp     x1, x0
    b.ls    3f
    sub     x5, x1, x0
    add     x5, x5, x4
    lsr     x5, x5, x3              /* lines to clean */
    lsr     x6, x5, #3              /* groups of eight */
    and     x5, x5, #7
    cbz     x6, 2f
1:
    .rept   8
    dc      cvau, x0
    add     x0, x0, x2
    .endr
    subs    x6, x6, #1
    b.ne    1b
2:  cbz     x5, 3f
    dc      cvau, x0
    add     x0, x0, x2
    subs    x5, x5, #1
    b       2b
3:  dsb     ish
    ret
