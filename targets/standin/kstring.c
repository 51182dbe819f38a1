#include "kstring.h"

#include <stdint.h>

/* Built with -fno-tree-loop-distribute-patterns (targets.mk) so GCC does not
 * turn these loops back into calls to themselves. */

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    if (c == 0 && ((uintptr_t)d & 7) == 0) {
        /* Root-server objects are large and aligned: clear them a word at a time. */
        for (; n >= 8; n -= 8, d += 8)
            *(uint64_t *)(void *)d = 0;
    }
    while (n-- > 0)
        *d++ = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n-- > 0)
        *d++ = *s++;
    return dst;
}
