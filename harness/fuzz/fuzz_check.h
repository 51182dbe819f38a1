/* What every fuzz target shares: an invariant check that turns a wrong
 * answer (not only a memory error) into a crash libFuzzer keeps, and a
 * helper that makes the sanitizers check every range a parser hands back. */
#ifndef BOOTCHECK_FUZZ_CHECK_H
#define BOOTCHECK_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REQUIRE(cond, ...)                                                     \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s: ", __FILE__,        \
                    __LINE__, #cond);                                               \
            fprintf(stderr, __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                    \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* Every error sentence must be NUL-terminated inside its buffer. */
#define FUZZ_REQUIRE_MESSAGE(err, len)                                              \
    FUZZ_REQUIRE(memchr((err), '\0', (len)) != NULL && (err)[0] != '\0',            \
                 "error message is empty or unterminated")

/* Reads the first and the last byte of [p, p+n): ASan then knows the whole
 * range lies in one allocation (an input buffer is one block), at a cost that
 * does not grow with n. */
static inline unsigned fuzz_touch(const uint8_t *p, uint64_t n)
{
    volatile unsigned sum = 0;
    if (n > 0)
        sum = p[0] + p[n - 1];
    return sum;
}

#endif
