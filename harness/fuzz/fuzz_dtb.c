/* Fuzz target: the loader's DTB path (loader/common/dtb_parse.c and its
 * structure scanner fdt_scan.c) on one untrusted blob: dtb_parse, as the
 * loader calls it, must agree with the separate readers, and a copy packed as
 * loader/arch/aarch64/dtb.c packs it must, when libfdt packs it at all, stay valid
 * with the same RAM. */
#include "fuzz_check.h"

#include <libfdt.h>

#include "../../loader/common/dtb_parse.h"

static void check_packing(const uint8_t *data, size_t size, const struct dtb_facts *facts)
{
    char err[DTB_ERR_LEN];
    uint32_t before = fdt_totalsize(data);
    uint8_t *copy = malloc(size);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    /* A refusal is handled by the loader (it hands the blob over unpacked). */
    if (fdt_pack(copy) == 0) {
        FUZZ_REQUIRE(fdt_totalsize(copy) <= before, "packing grew the blob");
        struct dtb_facts packed;
        FUZZ_REQUIRE(dtb_parse(copy, fdt_totalsize(copy), "packed", "packed", &packed, err) == 0,
                     "packed blob refused: %s", err);
        FUZZ_REQUIRE(packed.nram == facts->nram && packed.psci == facts->psci &&
                     memcmp(packed.ram, facts->ram, facts->nram * sizeof facts->ram[0]) == 0,
                     "packing changed what the loader reads");
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[DTB_ERR_LEN], err2[DTB_ERR_LEN];
    struct dtb_facts facts;
    memset(&facts, 0, sizeof facts);
    int parsed = dtb_parse(data, size, "fuzz DTB", "fuzz", &facts, err);
    FUZZ_REQUIRE(parsed == 0 || parsed == -1, "dtb_parse returned %d", parsed);
    if (parsed != 0)
        FUZZ_REQUIRE_MESSAGE(err, sizeof err);

    /* The separate readers the host tools use must give the same answers. */
    int checked = dtb_check_blob(data, size, "fuzz DTB", err2);
    if (checked != 0) {
        FUZZ_REQUIRE_MESSAGE(err2, sizeof err2);
        FUZZ_REQUIRE(parsed != 0 && strcmp(err, err2) == 0,
                     "dtb_check_blob refused (%s) but dtb_parse said: %s", err2,
                     parsed ? err : "accepted");
        return 0;
    }
    struct mem_range ram[PLAN_MAX_RAM];
    unsigned nram = 0;
    int read = dtb_read_memory(data, "fuzz", ram, &nram, err2);
    FUZZ_REQUIRE((read == 0) == (parsed == 0), "dtb_read_memory %d, dtb_parse %d", read, parsed);
    if (parsed != 0) {
        FUZZ_REQUIRE(strcmp(err, err2) == 0, "messages differ: '%s' / '%s'", err, err2);
        return 0;
    }
    FUZZ_REQUIRE(dtb_read_psci(data) == facts.psci, "PSCI method differs");
    FUZZ_REQUIRE(facts.psci == DTB_PSCI_UNKNOWN || facts.psci == DTB_PSCI_HVC ||
                 facts.psci == DTB_PSCI_SMC, "psci method %d", (int)facts.psci);
    FUZZ_REQUIRE(nram == facts.nram && memcmp(ram, facts.ram, nram * sizeof ram[0]) == 0,
                 "RAM differs between dtb_parse and dtb_read_memory");
    FUZZ_REQUIRE(facts.nram >= 1 && facts.nram <= PLAN_MAX_RAM, "nram %u", facts.nram);
    for (unsigned i = 0; i < facts.nram; i++)
        FUZZ_REQUIRE(facts.ram[i].end != facts.ram[i].start, "empty RAM range %u kept", i);
    check_packing(data, size, &facts);
    return 0;
}
