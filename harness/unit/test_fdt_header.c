/* fdt_header.c (the riscv64 loader's libfdt-free header check): every
 * refusal sentence on a header broken one field at a time; scause.c's names. */
#include <string.h>

#include "../../loader/common/fdt_header.h"
#include "../../loader/common/scause.h"
#include "check.h"

/* A minimal blob: header, one empty reservation entry at 40, structure block
 * (FDT_BEGIN_NODE "", FDT_END_NODE, FDT_END) at 56, empty strings at 72. */
static uint8_t blob[80];

static void put32(unsigned off, uint32_t v)
{
    blob[off] = (uint8_t)(v >> 24);
    blob[off + 1] = (uint8_t)(v >> 16);
    blob[off + 2] = (uint8_t)(v >> 8);
    blob[off + 3] = (uint8_t)v;
}

static void good(void)
{
    memset(blob, 0, sizeof blob);
    put32(0, 0xd00dfeed);
    put32(4, 72);        /* totalsize */
    put32(8, 56);        /* off_dt_struct */
    put32(12, 72);       /* off_dt_strings */
    put32(16, 40);       /* off_mem_rsvmap */
    put32(20, 17);       /* version */
    put32(24, 16);       /* last_comp_version */
    put32(32, 0);        /* size_dt_strings */
    put32(36, 16);       /* size_dt_struct */
    put32(56, 1);        /* FDT_BEGIN_NODE, name "" (padded) */
    put32(64, 2);        /* FDT_END_NODE */
    put32(68, 9);        /* FDT_END */
}

static const char *refusal(uint64_t avail)
{
    static char err[FDT_HEADER_ERR_LEN];
    strcpy(err, "");
    return fdt_header_check(blob, avail, "t.dtb", err) == 0 ? "" : err;
}

static void accepts_good_header(void)
{
    good();
    CHECK_STR(refusal(sizeof blob), "");
    CHECK_U64(fdt_header_totalsize(blob), 72);
}

static void refuses_each_broken_field(void)
{
    good();
    CHECK_STR(refusal(39), "t.dtb is not a valid DTB: 39 bytes are too few for an FDT header (40)");
    put32(0, 0xd00dfeee);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: magic 0xd00dfeee (want 0xd00dfeed)");
    good();
    put32(20, 15);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: version 15 (last compatible 16) is not 16 or 17");
    good();
    put32(24, 18);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: version 17 (last compatible 18) is not 16 or 17");
    good();
    CHECK_STR(refusal(71), "t.dtb is not a valid DTB: totalsize 72 is not within [40..71], the bytes"
                           " available");
    good();
    put32(16, 44);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: memory reservation map offset 0x2c is"
                           " misaligned or outside totalsize 72");
    good();
    put32(36, 17);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: structure block [0x38..+0x11) is misaligned or"
                           " outside totalsize 72");
    good();
    put32(8, 58);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: structure block [0x3a..+0x10) is misaligned or"
                           " outside totalsize 72");
    good();
    put32(32, 1);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: strings block [0x48..+0x1) lies outside"
                           " totalsize 72");
    /* An offset near 2^32 must not wrap around into the blob. */
    good();
    put32(12, 0xfffffff0);
    put32(32, 0x20);
    CHECK_STR(refusal(80), "t.dtb is not a valid DTB: strings block [0xfffffff0..+0x20) lies outside"
                           " totalsize 72");
}

static void names_traps(void)
{
    CHECK_STR(scause_name(2), "illegal instruction");
    CHECK_STR(scause_stval_meaning(2), "instruction");
    CHECK_STR(scause_name(13), "load page fault");
    CHECK_STR(scause_stval_meaning(15), "address");
    CHECK_STR(scause_name(9), "environment call from S-mode");
    CHECK_STR(scause_stval_meaning(9), "");
    CHECK_STR(scause_name(10), "reserved cause");
    CHECK_STR(scause_name(SCAUSE_INTERRUPT | 5), "supervisor timer interrupt");
    CHECK_STR(scause_stval_meaning(SCAUSE_INTERRUPT | 5), "");
    CHECK_STR(scause_name(SCAUSE_INTERRUPT | 3), "reserved interrupt");
}

const struct unit_test fdt_header_tests[] = {
    { "fdt_header: accepts a good header", accepts_good_header },
    { "fdt_header: refuses each broken field", refuses_each_broken_field },
    { "scause: names traps", names_traps },
    { NULL, NULL },
};
