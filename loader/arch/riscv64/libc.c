/* The memory functions GCC may call for struct copies and the loader's
 * copies (it is built with -nostdinc and no libc). */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n) {
        /* 8 bytes at a time when both are equally aligned. */
        if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
            for (; n > 0 && ((uintptr_t)d & 7) != 0; n--)
                *d++ = *s++;
            for (; n >= 8; n -= 8, d += 8, s += 8)
                *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
        }
        while (n-- > 0)
            *d++ = *s++;
    } else {
        while (n-- > 0)
            d[n] = s[n];
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    return memmove(dst, src, n);
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    if (c == 0) {
        for (; n > 0 && ((uintptr_t)d & 7) != 0; n--)
            *d++ = 0;
        for (; n >= 8; n -= 8, d += 8)
            *(uint64_t *)(void *)d = 0;
    }
    while (n-- > 0)
        *d++ = (uint8_t)c;
    return dst;
}
