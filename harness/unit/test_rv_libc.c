/* loader/arch/riscv64/libc.c on the host: memmove and memset against the C
 * library's for every source and destination offset within two words and
 * every length up to 300 (then some longer), overlapping copies both ways,
 * and not a byte written outside the destination. The file is compiled here
 * under other names, so the test binary keeps the host's own functions. */
#include <stdint.h>
#include <string.h>

#define memcpy rv_memcpy
#define memmove rv_memmove
#define memset rv_memset
#include "../../loader/arch/riscv64/libc.c"
#undef memcpy
#undef memmove
#undef memset

#include "check.h"

static uint8_t pattern(unsigned i)
{
    return (uint8_t)(i * 151u + 7u);
}

static void copies_every_alignment_and_length(void)
{
    static uint8_t src[800], got[900], want[900];
    for (unsigned i = 0; i < sizeof src; i++)
        src[i] = pattern(i);
    unsigned bad = 0;
    for (unsigned so = 0; so < 16; so++) {
        for (unsigned d = 0; d < 16; d++) {
            for (unsigned n = 0; n < 700; n += n < 300 ? 1 : 37) {
                memset(got, 0xa5, sizeof got);
                memset(want, 0xa5, sizeof want);
                memcpy(want + 8 + d, src + so, n);
                rv_memmove(got + 8 + d, src + so, n);
                bad += memcmp(got, want, sizeof got) != 0;
            }
        }
    }
    CHECK_U64(bad, 0);
}

static void sets_every_alignment_and_length(void)
{
    static uint8_t got[900], want[900];
    unsigned bad = 0;
    for (unsigned d = 0; d < 16; d++) {
        for (unsigned n = 0; n < 700; n += n < 300 ? 1 : 37) {
            for (int c = 0; c < 0x100; c += 0x5a) {
                memset(got, 0xa5, sizeof got);
                memset(want, 0xa5, sizeof want);
                memset(want + 8 + d, c, n);
                bad += rv_memset(got + 8 + d, c, n) != got + 8 + d;
                bad += memcmp(got, want, sizeof got) != 0;
            }
        }
    }
    CHECK_U64(bad, 0);
}

static void moves_overlapping_ranges(void)
{
    unsigned bad = 0;
    for (unsigned a = 0; a < 40; a++) {
        for (unsigned b = 0; b < 40; b++) {
            for (unsigned n = 0; n < 300; n += 7) {
                uint8_t got[400], want[400];
                for (unsigned i = 0; i < sizeof got; i++)
                    got[i] = want[i] = pattern(i);
                memmove(want + a, want + b, n);
                bad += rv_memmove(got + a, got + b, n) != got + a;
                bad += memcmp(got, want, sizeof got) != 0;
            }
        }
    }
    CHECK_U64(bad, 0);
}

const struct unit_test rv_libc_tests[] = {
    { "riscv64 libc: memmove at every alignment and length", copies_every_alignment_and_length },
    { "riscv64 libc: memset at every alignment and length", sets_every_alignment_and_length },
    { "riscv64 libc: memmove of overlapping ranges", moves_overlapping_ranges },
    { NULL, NULL },
};
