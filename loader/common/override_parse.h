/* The test-only hand-off override member (handoff.override, packed with
 * OVERRIDE=file): lines "xN=0xHEX" (N in 0..5, 1 to 16 hex digits) that
 * replace planned hand-off registers, so the tests can hand a kernel one
 * contract violation. Parsed by the same code in the loader and in the host
 * fuzzer (harness/fuzz/fuzz_override.c). */
#ifndef BOOTCHECK_OVERRIDE_PARSE_H
#define BOOTCHECK_OVERRIDE_PARSE_H

#include <stdint.h>

#define OVERRIDE_ERR_LEN  96
#define OVERRIDE_MAX      16     /* lines; more is a malformed member */

struct override_entry {
    unsigned reg;                /* 0..5 */
    uint64_t value;
};

/* Parses data[0..size) (empty lines are skipped). Returns the number of
 * entries (0..OVERRIDE_MAX), or -1 with one sentence in err. */
int override_parse(const uint8_t *data, uint64_t size, struct override_entry out[OVERRIDE_MAX],
                   char err[OVERRIDE_ERR_LEN]);

#endif
