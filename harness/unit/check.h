/* A tiny assertion framework for the host unit tests: a check records a
 * failure (with file, line and both values) and the test goes on, so one run
 * reports every broken expectation. */
#ifndef BOOTCHECK_UNIT_CHECK_H
#define BOOTCHECK_UNIT_CHECK_H

#include <stdint.h>

struct unit_test {
    const char *name;
    void (*run)(void);
};

/* Each test file defines one NULL-terminated table. */
extern const struct unit_test elf_tests[], cpio_tests[], plan_tests[], fmt_tests[],
    fdt_scan_tests[], fdt_header_tests[], rv_libc_tests[];

void check_true(int ok, const char *expr, const char *file, int line);
void check_u64(uint64_t got, uint64_t want, const char *expr, const char *file, int line);
void check_str(const char *got, const char *want, const char *expr, const char *file, int line);

#define CHECK(cond)          check_true(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_U64(got, want) check_u64((uint64_t)(got), (uint64_t)(want), #got, __FILE__, __LINE__)
#define CHECK_STR(got, want) check_str((got), (want), #got, __FILE__, __LINE__)

#endif
