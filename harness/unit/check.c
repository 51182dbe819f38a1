/* Runs every test table and prints one line per failed check. Exit status:
 * 0 when every check held, 1 otherwise. */
#include "check.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *current;
static unsigned checks, failures;

static void fail_prefix(const char *file, int line)
{
    failures++;
    printf("FAIL %s (%s:%d): ", current, file, line);
}

void check_true(int ok, const char *expr, const char *file, int line)
{
    checks++;
    if (!ok) {
        fail_prefix(file, line);
        printf("%s is false\n", expr);
    }
}

void check_u64(uint64_t got, uint64_t want, const char *expr, const char *file, int line)
{
    checks++;
    if (got != want) {
        fail_prefix(file, line);
        printf("%s is 0x%" PRIx64 ", want 0x%" PRIx64 "\n", expr, got, want);
    }
}

void check_str(const char *got, const char *want, const char *expr, const char *file, int line)
{
    checks++;
    if (strcmp(got, want) != 0) {
        fail_prefix(file, line);
        printf("%s is\n    \"%s\"\n  want\n    \"%s\"\n", expr, got, want);
    }
}

int main(void)
{
    const struct unit_test *tables[] = { elf_tests, cpio_tests, plan_tests, fmt_tests,
                                         fdt_scan_tests, fdt_header_tests, rv_libc_tests };
    unsigned tests = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct unit_test *u = tables[t]; u->name != NULL; u++) {
            current = u->name;
            u->run();
            tests++;
        }
    printf("%u tests, %u checks, %u failed\n", tests, checks, failures);
    return failures == 0 ? 0 : 1;
}
