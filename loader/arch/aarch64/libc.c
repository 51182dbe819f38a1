/* The few C library functions libfdt needs, written for bare metal: no
 * errno, no locale, no thread-local storage (a hosted libc's TLS errno
 * would write through TPIDR_EL0, which nothing has set up here). */
#include <stddef.h>
#include <stdint.h>

#include "loader_libc.h"
#include "sysreg.h"

/* No <limits.h> under -nostdinc: the largest unsigned long, spelled out. */
#define ULONG_MAX (~0UL)

/* Copies forwards, eight bytes at a time while both pointers allow it. */
static void copy_forward(uint8_t *d, const uint8_t *s, size_t n)
{
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
    }
    while (n--)
        *d++ = *s++;
}

/* copy.S's SIMD loop: forwards, and correct for overlapping ranges with
 * dst < src. It needs Normal memory (unaligned and 16-byte SIMD accesses
 * fault on Device memory), so it is used only while the MMU is on at the
 * current EL: a core the loader parks runs with it off, and the compiler
 * may turn a struct copy there into a call of memcpy. */
void load_copy(void *dst, const void *src, uint64_t n);

static void fast_forward(uint8_t *d, const uint8_t *s, size_t n)
{
    if (mmu_is_on())
        load_copy(d, s, n);
    else
        copy_forward(d, s, n);
}

void *memcpy(void *dst, const void *src, size_t n)
{
    fast_forward(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n) {
        fast_forward(d, s, n);
    } else if ((((uintptr_t)d | (uintptr_t)s | n) & 7) == 0) {
        for (; n > 0; n -= 8)
            *(uint64_t *)(void *)(d + n - 8) = *(const uint64_t *)(const void *)(s + n - 8);
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void load_zero(void *dst, uint64_t n);

/* The compiler calls memset to clear structures; with the MMU on, zeroing
 * goes through copy.S's SIMD loop (Normal memory only, as load_copy). */
void *memset(void *dst, int c, size_t n)
{
    if ((uint8_t)c == 0 && mmu_is_on()) {
        load_zero(dst, n);
        return dst;
    }
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n > 0; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const uint8_t *p = s;
    for (; n > 0; n--, p++)
        if (*p == (uint8_t)c)
            return (void *)(uintptr_t)p;
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)(uintptr_t)s;
        if (*s == '\0')
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (*s == '\0')
            return (char *)(uintptr_t)last;
    }
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    unsigned long v = 0;
    for (int d; (d = digit_value(*s)) < base; s++)
        v = (v > (ULONG_MAX - (unsigned long)d) / (unsigned long)base) ? ULONG_MAX
                                                                       : v * (unsigned long)base + (unsigned long)d;
    if (end != NULL)
        *end = (char *)(uintptr_t)s;
    return v;
}

/* libfdt is built with the stack protector. */
uintptr_t __stack_chk_guard = 0x5a5aa5a5deadbeefu;
void __stack_chk_fail(void);
void loader_fail(const char *fmt, ...) __attribute__((noreturn));
void __stack_chk_fail(void)
{
    loader_fail("stack smashing detected in the loader");
}
