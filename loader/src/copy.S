/* Bulk copy and zero for loading images: the loader's cost is dominated by
 * these loops, so they move 128 bytes per iteration with 32-byte pair
 * loads/stores of SIMD registers and zero four cache-line blocks per
 * iteration with DC ZVA. Both need the MMU on (Normal memory): unaligned
 * accesses and DC ZVA fault on Device memory, which is what memory is with
 * the MMU off. FP/SIMD is enabled by crt0. */

    .text
/* void load_copy(void *dst, const void *src, uint64_t n) */
    .global load_copy
load_copy:
    cmp     x2, #128
    b.lo    2f
1:  ldp     q0, q1, [x1]
    ldp     q2, q3, [x1, #32]
    ldp     q4, q5, [x1, #64]
    ldp     q6, q7, [x1, #96]
    add     x1, x1, #128
    stp     q0, q1, [x0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    add     x0, x0, #128
    sub     x2, x2, #128
    cmp     x2, #128
    b.hs    1b
2:  cmp     x2, #16
    b.lo    3f
    ldr     q0, [x1], #16
    str     q0, [x0], #16
    sub     x2, x2, #16
    b       2b
3:  cbz     x2, 9f
    ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    sub     x2, x2, #1
    b       3b
9:  ret

/* void load_zero(void *dst, uint64_t n) */
    .global load_zero
load_zero:
    cbz     x1, 9f
    mrs     x2, dczid_el0
    tbnz    x2, #4, 5f              /* DZP: DC ZVA prohibited */
    and     x2, x2, #0xf
    mov     x3, #4
    lsl     x3, x3, x2              /* block size in bytes */
    sub     x4, x3, #1
    /* Bytes up to the first block boundary. */
1:  tst     x0, x4
    b.eq    2f
    cbz     x1, 9f
    strb    wzr, [x0], #1
    sub     x1, x1, #1
    b       1b
2:  lsl     x5, x3, #2              /* four blocks per iteration */
    cmp     x1, x5
    b.lo    4f
3:  dc      zva, x0
    add     x0, x0, x3
    dc      zva, x0
    add     x0, x0, x3
    dc      zva, x0
    add     x0, x0, x3
    dc      zva, x0
    add     x0, x0, x3
    sub     x1, x1, x5
    cmp     x1, x5
    b.hs    3b
4:  cmp     x1, x3
    b.lo    5f
    dc      zva, x0
    add     x0, x0, x3
    sub     x1, x1, x3
    b       4b
5:  cmp     x1, #16
    b.lo    6f
    tst     x0, #15
    b.ne    6f
    stp     xzr, xzr, [x0], #16
    sub     x1, x1, #16
    b       5b
6:  cbz     x1, 9f
    strb    wzr, [x0], #1
    sub     x1, x1, #1
    b       5b
9:  ret

/* void cache_sync_code(uint64_t start, uint64_t end): clean the D-cache to
 * the point of unification over [start, end) so that instruction fetches
 * see the copied code once the I-cache is invalidated. */
    .global cache_sync_code
cache_sync_code:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         /* DminLine: log2(words) */
    mov     x2, #4
    lsl     x2, x2, x3
    sub     x3, x2, #1
    bic     x0, x0, x3
1:  cmp     x0, x1
    b.hs    2f
    dc      cvau, x0
    add     x0, x0, x2
    b       1b
2:  dsb     ish
    ret
