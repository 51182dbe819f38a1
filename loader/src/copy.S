/* Bulk copy and zero for loading images: the loader's cost is dominated by
 * these two loops, so they move 64 bytes per iteration with 16-byte pair
 * loads/stores and zero whole cache-line blocks with DC ZVA where allowed.
 * Both need the MMU on (Normal memory): unaligned accesses and DC ZVA fault
 * on Device memory, which is what memory is with the MMU off. */

    .text
/* void load_copy(void *dst, const void *src, uint64_t n) */
    .global load_copy
load_copy:
    cbz     x2, 9f
    cmp     x2, #64
    b.lo    2f
1:  ldp     x3, x4, [x1]
    ldp     x5, x6, [x1, #16]
    ldp     x7, x8, [x1, #32]
    ldp     x9, x10, [x1, #48]
    add     x1, x1, #64
    stp     x3, x4, [x0]
    stp     x5, x6, [x0, #16]
    stp     x7, x8, [x0, #32]
    stp     x9, x10, [x0, #48]
    add     x0, x0, #64
    sub     x2, x2, #64
    cmp     x2, #64
    b.hs    1b
    cbz     x2, 9f
2:  ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    subs    x2, x2, #1
    b.ne    2b
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
2:  cmp     x1, x3
    b.lo    5f
3:  dc      zva, x0
    add     x0, x0, x3
    sub     x1, x1, x3
    cmp     x1, x3
    b.hs    3b
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

/* void cache_clean_range(uint64_t start, uint64_t end): to the point of
 * coherency, so the kernel sees the bytes whatever its cache state. */
    .global cache_clean_range
cache_clean_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         /* DminLine: log2(words) */
    mov     x2, #4
    lsl     x2, x2, x3
    sub     x3, x2, #1
    bic     x0, x0, x3
1:  cmp     x0, x1
    b.hs    2f
    dc      cvac, x0
    add     x0, x0, x2
    b       1b
2:  dsb     sy
    ret
