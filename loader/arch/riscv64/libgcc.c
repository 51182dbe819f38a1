/* The two libgcc helpers the shared code needs on rv64imac (no Zbb bit
 * instructions): Debian ships libgcc only for the lp64d ABI, which cannot be
 * linked into this lp64 loader. Written with shifts and a multiply, not the
 * builtins that would call them again. */
#include <stdint.h>

uint32_t __bswapsi2(uint32_t v);
int __ctzdi2(uint64_t v);

uint32_t __bswapsi2(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* Undefined for 0, as the builtin; callers pass a non-zero value. v & -v
 * keeps the lowest set bit alone; multiplied by a de Bruijn sequence, its
 * top six bits are distinct for each of the 64 positions. A few instructions
 * where a bit-by-bit loop takes up to 64 turns (fdt_scan's strlen ends in
 * one per node name). */
int __ctzdi2(uint64_t v)
{
    static const uint8_t position[64] = {
        0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28,
        62, 5,  39, 46, 44, 42, 22, 9,  24, 35, 59, 56, 49, 18, 29, 11,
        63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
        51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
    };
    return position[((v & (0 - v)) * UINT64_C(0x022fdd63cc95386d)) >> 58];
}
