/* Fuzz target: the loader's DTB path (loader/common/dtb_parse.c) on one
 * untrusted blob: validate, read /psci and /memory, then pack a copy as loader/src/dtb.c
 * does, which, when it succeeds, must leave a valid blob with the same RAM. */
#include "fuzz_check.h"

#include <libfdt.h>

#include "../../loader/common/dtb_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[DTB_ERR_LEN];
    if (dtb_check_blob(data, size, "fuzz DTB", err) != 0) {
        FUZZ_REQUIRE_MESSAGE(err, sizeof err);
        return 0;
    }
    enum dtb_psci_method m = dtb_read_psci(data);
    FUZZ_REQUIRE(m == DTB_PSCI_UNKNOWN || m == DTB_PSCI_HVC || m == DTB_PSCI_SMC,
                 "psci method %d", (int)m);

    struct mem_range ram[PLAN_MAX_RAM];
    unsigned nram = 0;
    if (dtb_read_memory(data, "fuzz DTB", ram, &nram, err) != 0) {
        FUZZ_REQUIRE_MESSAGE(err, sizeof err);
        return 0;
    }
    FUZZ_REQUIRE(nram >= 1 && nram <= PLAN_MAX_RAM, "nram %u", nram);
    for (unsigned i = 0; i < nram; i++)
        FUZZ_REQUIRE(ram[i].end != ram[i].start, "empty RAM range %u kept", i);

    /* The loader packs the blob it accepted and hands over totalsize bytes. */
    uint32_t before = fdt_totalsize(data);
    uint8_t *copy = malloc(size);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    /* A refusal is handled by the loader (it hands the blob over unpacked). */
    if (fdt_pack(copy) == 0) {
        FUZZ_REQUIRE(fdt_totalsize(copy) <= before, "packing grew the blob");
        FUZZ_REQUIRE(dtb_check_blob(copy, fdt_totalsize(copy), "packed", err) == 0,
                     "packed blob invalid: %s", err);
        struct mem_range ram2[PLAN_MAX_RAM];
        unsigned nram2 = 0;
        FUZZ_REQUIRE(dtb_read_memory(copy, "packed", ram2, &nram2, err) == 0 && nram2 == nram &&
                     memcmp(ram, ram2, nram * sizeof ram[0]) == 0, "packing changed /memory");
    }
    free(copy);
    return 0;
}
