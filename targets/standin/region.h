/* Half-open address ranges [start, end) and the rounding the boot code needs. */
#ifndef STANDIN_REGION_H
#define STANDIN_REGION_H

#include <stdint.h>

struct region {
    uint64_t start, end;
};

#define BIT(n)                 (UINT64_C(1) << (n))
#define ROUND_DOWN(v, bits)    ((v) & ~(BIT(bits) - 1))
#define ROUND_UP(v, bits)      ROUND_DOWN((v) + BIT(bits) - 1, bits)

static inline int region_is_empty(struct region r)
{
    return r.start >= r.end;
}

#endif
