/* The memory functions GCC may call for struct copies and the loader's
 * copies (it is built with -nostdinc and no libc).
 *
 * They carry almost all of the loader's instructions (the kernel's and root
 * task's bytes, their .bss, the page tables), so they move eight bytes per
 * store, sixteen stores per loop turn: RV64 without the vector extension has
 * no wider store, and a turn's two or three bookkeeping instructions are then
 * spread over 128 bytes. Loads stay aligned: RISC-V may trap on a misaligned load (the
 * firmware then emulates it, hundreds of instructions each), so a source that
 * is not aligned like the destination is read as aligned words and shifted
 * into place. */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

typedef uint64_t __attribute__((may_alias)) word;

/* Forward, d 8-byte aligned, s too: turns of sixteen words (128 bytes). */
static void copy_aligned(word *d, const word *s, size_t turns)
{
    for (const word *end = s + 16 * turns; s != end; d += 16, s += 16) {
        word w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
        word w4 = s[4], w5 = s[5], w6 = s[6], w7 = s[7];
        d[0] = w0; d[1] = w1; d[2] = w2; d[3] = w3;
        d[4] = w4; d[5] = w5; d[6] = w6; d[7] = w7;
        w0 = s[8]; w1 = s[9]; w2 = s[10]; w3 = s[11];
        w4 = s[12]; w5 = s[13]; w6 = s[14]; w7 = s[15];
        d[8] = w0; d[9] = w1; d[10] = w2; d[11] = w3;
        d[12] = w4; d[13] = w5; d[14] = w6; d[15] = w7;
    }
}

/* Forward, d 8-byte aligned, s = the aligned word holding the first source
 * byte, at byte offset off (1..7) in it: each destination word is the top of
 * one source word and the bottom of the next (little-endian). Only words
 * holding bytes of the source are read. n / 32 turns of four words. */
static void copy_shifted(word *d, const word *s, unsigned off, size_t turns)
{
    const unsigned lo = 8 * off, hi = 64 - lo;
    word prev = s[0];
    for (; turns > 0; turns--, d += 4, s += 4) {
        word w1 = s[1], w2 = s[2], w3 = s[3], w4 = s[4];
        d[0] = prev >> lo | w1 << hi;
        d[1] = w1 >> lo | w2 << hi;
        d[2] = w2 >> lo | w3 << hi;
        d[3] = w3 >> lo | w4 << hi;
        prev = w4;
    }
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0)
        return dst;
    if (d > s && d < s + n) {   /* overlapping, destination above: backwards */
        while (n-- > 0)
            d[n] = s[n];
        return dst;
    }
    for (; n > 0 && ((uintptr_t)d & 7) != 0; n--)
        *d++ = *s++;
    unsigned off = (uintptr_t)s & 7;
    if (off == 0) {
        size_t turns = n / 128;
        copy_aligned((word *)(void *)d, (const word *)(const void *)s, turns);
        d += 128 * turns;
        s += 128 * turns;
        n -= 128 * turns;
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(word *)(void *)d = *(const word *)(const void *)s;
    } else if (n >= 40) {
        /* The last turn reads the word after its last source byte's word
         * only if that word holds a source byte: keep 8 bytes beyond the
         * turns (n >= 32 * turns + 8). */
        size_t turns = (n - 8) / 32;
        copy_shifted((word *)(void *)d, (const word *)(const void *)(s - off), off, turns);
        d += 32 * turns;
        s += 32 * turns;
        n -= 32 * turns;
    }
    while (n-- > 0)
        *d++ = *s++;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    return memmove(dst, src, n);
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    for (; n > 0 && ((uintptr_t)d & 7) != 0; n--)
        *d++ = (uint8_t)c;
    word v = (uint8_t)c * UINT64_C(0x0101010101010101);
    word *w = (word *)(void *)d;
    for (word *end = w + 16 * (n / 128); w != end; w += 16) {
        w[0] = v; w[1] = v; w[2] = v; w[3] = v;
        w[4] = v; w[5] = v; w[6] = v; w[7] = v;
        w[8] = v; w[9] = v; w[10] = v; w[11] = v;
        w[12] = v; w[13] = v; w[14] = v; w[15] = v;
    }
    n %= 128;
    for (; n >= 8; n -= 8)
        *w++ = v;
    d = (uint8_t *)w;
    while (n-- > 0)
        *d++ = (uint8_t)c;
    return dst;
}
