/* What every fuzz target shares: an invariant check that turns a wrong
 * answer (not only a memory error) into a crash libFuzzer keeps, and a
 * helper that touches bytes so the sanitizers see every range a parser
 * hands back. */
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

/* Reads every byte of [p, p+n) and returns their sum, so ASan checks the range
 * and the compiler cannot drop the reads. */
static inline unsigned fuzz_touch(const uint8_t *p, uint64_t n)
{
    volatile unsigned sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += p[i];
    return sum;
}

#endif
