/* Fuzz target: the test-only hand-off override parser
 * (loader/common/override_parse.c), the same code the loader runs. */
#include "fuzz_check.h"

#include "../../loader/common/override_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct override_entry out[OVERRIDE_MAX];
    char err[OVERRIDE_ERR_LEN];
    int n = override_parse(data, size, out, err);
    FUZZ_REQUIRE(n >= -1 && n <= OVERRIDE_MAX, "override_parse returned %d", n);
    if (n < 0) {
        FUZZ_REQUIRE_MESSAGE(err, sizeof err);
        return 0;
    }
    for (int i = 0; i < n; i++)
        FUZZ_REQUIRE(out[i].reg <= 5, "entry %d names x%u", i, out[i].reg);
    return 0;
}
