/* Fuzz target: the payload archive reader (loader/common/cpio.c), asked for
 * every member name the loader looks up. */
#include "fuzz_check.h"

#include "../../loader/common/cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = { PAYLOAD_KERNEL, PAYLOAD_ROOTTASK, PAYLOAD_DTB,
                                         "handoff.override" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct cpio_member m;
        char err[CPIO_ERR_LEN];
        int rc = cpio_find(data, size, names[i], &m, err);
        FUZZ_REQUIRE(rc == -1 || rc == 0 || rc == 1, "cpio_find returned %d", rc);
        if (rc == -1) {
            FUZZ_REQUIRE_MESSAGE(err, sizeof err);
        } else if (rc == 1) {
            const uint8_t *name = (const uint8_t *)m.name;
            FUZZ_REQUIRE(name >= data && name < data + size, "member name outside the archive");
            FUZZ_REQUIRE(strcmp(m.name, names[i]) == 0, "found '%s' for '%s'", m.name, names[i]);
            FUZZ_REQUIRE(m.data >= data && m.data <= data + size &&
                         m.size <= (uint64_t)(data + size - m.data),
                         "member '%s' data outside the archive", names[i]);
            FUZZ_REQUIRE(((uintptr_t)(m.data - data) & 3) == 0, "member data not 4-aligned");
            fuzz_touch(m.data, m.size);
        }
    }
    return 0;
}
