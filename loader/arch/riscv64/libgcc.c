/* The two libgcc helpers the shared code needs on rv64imac (no Zbb bit
 * instructions): Debian ships libgcc only for the lp64d ABI, which cannot be
 * linked into this lp64 loader. Written with shifts, not the builtins that
 * would call them again. */
#include <stdint.h>

uint32_t __bswapsi2(uint32_t v);
int __ctzdi2(uint64_t v);

uint32_t __bswapsi2(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* Undefined for 0, as the builtin; callers pass a non-zero value. */
int __ctzdi2(uint64_t v)
{
    int n = 0;
    while ((v & 1) == 0 && n < 64) {
        v >>= 1;
        n++;
    }
    return n;
}
