/* cpio.c: members found and not found, and every malformed-archive sentence. */
#include <string.h>

#include "../../loader/common/cpio.h"
#include "build.h"
#include "check.h"

struct archive {
    uint8_t bytes[1024];
    size_t len;
    size_t roottask_header;     /* offset of the second member's header */
};

/* kernel.elf (5 bytes, data at 0x7c), roottask.elf (8 bytes, header at 0x84, data at
 * 0x100), trailer (header at 0x108); 0x184 bytes in all. */
static void good(struct archive *a)
{
    memset(a, 0, sizeof *a);
    test_newc_member(a->bytes, &a->len, "kernel.elf", "KERNL", 5);
    a->roottask_header = a->len;
    test_newc_member(a->bytes, &a->len, "roottask.elf", "ROOTTASK", 8);
    test_newc_member(a->bytes, &a->len, "TRAILER!!!", "", 0);
}

static const char *refusal(const struct archive *a, size_t size)
{
    static char err[CPIO_ERR_LEN];
    struct cpio_member m;
    strcpy(err, "");
    if (cpio_find(a->bytes, size, "kernel.dtb", &m, err) != -1)
        return "(accepted)";
    return err;
}

static void layout_is_as_documented(void)
{
    struct archive a;
    good(&a);
    CHECK_U64(a.roottask_header, 0x84);
    CHECK_U64(a.len, 0x184);
}

static void finds_members(void)
{
    struct archive a;
    good(&a);
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    CHECK(cpio_find(a.bytes, a.len, "roottask.elf", &m, err) == 1);
    CHECK_STR(m.name, "roottask.elf");
    CHECK_U64(m.size, 8);
    CHECK(m.data == a.bytes + 0x100);
    CHECK(memcmp(m.data, "ROOTTASK", 8) == 0);
    CHECK(cpio_find(a.bytes, a.len, "kernel.elf", &m, err) == 1);
    CHECK(m.data == a.bytes + 0x7c && m.size == 5);
    /* Names are compared whole: neither a prefix nor an extension matches. */
    CHECK(cpio_find(a.bytes, a.len, "kernel", &m, err) == 0);
    CHECK(cpio_find(a.bytes, a.len, "kernel.elf2", &m, err) == 0);
    CHECK(cpio_find(a.bytes, a.len, "kernel.dtb", &m, err) == 0);
    /* The trailer ends the search even with bytes after it. */
    CHECK(cpio_find(a.bytes, sizeof a.bytes, "kernel.dtb", &m, err) == 0);
}

static void accepts_crc_magic_and_lowercase_hex(void)
{
    struct archive b;
    memset(&b, 0, sizeof b);
    test_newc_member(b.bytes, &b.len, "kernel.elf", "0123456789", 10);
    test_newc_member(b.bytes, &b.len, "TRAILER!!!", "", 0);
    b.bytes[5] = '2';     /* 070702: newc with checksums */
    CHECK(memcmp(b.bytes + 6 + 6 * 8, "0000000A", 8) == 0);
    memcpy(b.bytes + 6 + 6 * 8, "0000000a", 8);
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    CHECK(cpio_find(b.bytes, b.len, "kernel.elf", &m, err) == 1);
    CHECK_U64(m.size, 10);
    CHECK(cpio_find(b.bytes, b.len, "kernel.dtb", &m, err) == 0);
}

static void refuses_truncation(void)
{
    struct archive a;
    good(&a);
    CHECK_STR(refusal(&a, 0), "payload archive truncated: header at offset 0x0 needs 110 bytes, "
                              "0 left (no TRAILER!!! entry)");
    CHECK_STR(refusal(&a, 109), "payload archive truncated: header at offset 0x0 needs 110 bytes, "
                                "109 left (no TRAILER!!! entry)");
    /* Cut where the trailer's header starts, and inside it. */
    CHECK_STR(refusal(&a, 0x108), "payload archive truncated: header at offset 0x108 needs 110 "
                                  "bytes, 0 left (no TRAILER!!! entry)");
    CHECK_STR(refusal(&a, 0x108 + 50), "payload archive truncated: header at offset 0x108 needs "
                                       "110 bytes, 50 left (no TRAILER!!! entry)");
    /* Cut inside the first member's padding: the next header starts past the end. */
    CHECK_STR(refusal(&a, 0x83), "payload archive truncated: header at offset 0x84 needs 110 "
                                 "bytes, 0 left (no TRAILER!!! entry)");
}

static void refuses_bad_magic(void)
{
    struct archive a;
    good(&a);
    a.bytes[5] = '7';
    CHECK_STR(refusal(&a, a.len), "payload archive: bad CPIO magic at offset 0x0 (want 070701, newc)");
    good(&a);
    a.bytes[0x84] = '1';
    CHECK_STR(refusal(&a, a.len), "payload archive: bad CPIO magic at offset 0x84 (want 070701, newc)");
    for (int i = 0; i < 5; i++) {
        good(&a);
        a.bytes[i] ^= 1;
        CHECK_STR(refusal(&a, a.len), "payload archive: bad CPIO magic at offset 0x0 (want 070701, "
                                      "newc)");
    }
}

static void refuses_non_hex_sizes(void)
{
    struct archive a;
    good(&a);
    a.bytes[6 + 6 * 8 + 7] = 'g';     /* filesize */
    CHECK_STR(refusal(&a, a.len), "payload archive: non-hex size field in CPIO header at offset 0x0");
    good(&a);
    a.bytes[0x84 + 6 + 11 * 8] = ' ';   /* namesize of the second member */
    CHECK_STR(refusal(&a, a.len), "payload archive: non-hex size field in CPIO header at offset 0x84");
    good(&a);
    a.bytes[6 + 6 * 8] = 'G';
    CHECK_STR(refusal(&a, a.len), "payload archive: non-hex size field in CPIO header at offset 0x0");
    /* Characters just outside the digit ranges, and ones that differ from a
     * hex digit only in bit 5 or bit 7 (parse_hex8 folds case with bit 5). */
    const char bad[] = { '/', ':', '`', '@', 'g' ^ 0x20, '0' ^ 0x20, (char)('A' | 0x80),
                         (char)('a' | 0x80), (char)('0' | 0x80) };
    for (unsigned i = 0; i < sizeof bad; i++) {
        good(&a);
        a.bytes[6 + 11 * 8 + 3] = (uint8_t)bad[i];
        CHECK_STR(refusal(&a, a.len), "payload archive: non-hex size field in CPIO header at offset 0x0");
    }
}

static void set_field(struct archive *a, size_t header, int field, const char *hex8)
{
    memcpy(a->bytes + header + 6 + 8 * field, hex8, 8);
}

static void refuses_bad_names(void)
{
    struct archive a;
    good(&a);
    set_field(&a, 0, 11, "00000000");
    CHECK_STR(refusal(&a, a.len), "payload archive: member name (0 bytes) at offset 0x6e runs past "
                                  "the end");
    good(&a);
    set_field(&a, 0, 11, "FFFFFFFF");
    CHECK_STR(refusal(&a, a.len), "payload archive: member name (4294967295 bytes) at offset 0x6e "
                                  "runs past the end");
    /* The name needs exactly its bytes: 11 fit a 121-byte archive, not 120. */
    good(&a);
    CHECK_STR(refusal(&a, 120), "payload archive: member name (11 bytes) at offset 0x6e runs past "
                                "the end");
    good(&a);
    a.bytes[110 + 10] = 'X';
    CHECK_STR(refusal(&a, a.len), "payload archive: member name at offset 0x6e is not NUL-terminated");
    /* namesize one short: the last counted byte is 'f', not NUL. */
    good(&a);
    set_field(&a, 0x84, 11, "0000000C");
    CHECK_STR(refusal(&a, a.len), "payload archive: member name at offset 0xf2 is not NUL-terminated");
}

static void refuses_data_past_end(void)
{
    struct archive a;
    good(&a);
    set_field(&a, 0x84, 6, "00000100");
    CHECK_STR(refusal(&a, a.len), "payload archive: member 'roottask.elf' (256 bytes at offset 0x100) "
                                  "runs past the 388-byte archive");
    good(&a);
    set_field(&a, 0, 6, "FFFFFFFF");
    CHECK_STR(refusal(&a, a.len), "payload archive: member 'kernel.elf' (4294967295 bytes at offset "
                                  "0x7c) runs past the 388-byte archive");
    /* The name ends the archive, so the 4-aligned data offset lies beyond it. */
    good(&a);
    CHECK_STR(refusal(&a, 121), "payload archive: member 'kernel.elf' (5 bytes at offset 0x7c) runs "
                                "past the 121-byte archive");
    /* Data ending exactly at the end is fine: the next header is missing. */
    good(&a);
    CHECK_STR(refusal(&a, 0x7c + 5), "payload archive truncated: header at offset 0x84 needs 110 "
                                     "bytes, 0 left (no TRAILER!!! entry)");
}

/* One pass for several names: what each finds equals cpio_find's, a missing
 * name is reported as missing, and the pass stops at the last wanted member
 * (a broken header after it is not read; with a name missing it is). */
static void finds_each_in_one_pass(void)
{
    struct archive a;
    good(&a);
    static const char *const names[] = { "kernel.dtb", PAYLOAD_KERNEL, PAYLOAD_ROOTTASK };
    struct cpio_member m[3];
    int found[3] = { 7, 7, 7 };
    char err[CPIO_ERR_LEN] = "";
    CHECK(cpio_find_each(a.bytes, a.len, names, 3, m, found, err) == 0);
    CHECK(found[0] == 0 && found[1] == 1 && found[2] == 1);
    CHECK(m[1].data == a.bytes + 0x7c && m[1].size == 5);
    CHECK_STR(m[2].name, "roottask.elf");
    CHECK(m[2].data == a.bytes + 0x100 && m[2].size == 8);
    good(&a);
    a.bytes[0x108] = 'x';   /* the trailer's magic */
    CHECK(cpio_find_each(a.bytes, a.len, names + 1, 2, m, found, err) == 0);
    CHECK(found[0] == 1 && found[1] == 1);
    CHECK(cpio_find_each(a.bytes, a.len, names, 3, m, found, err) == -1);
    CHECK_STR(err, "payload archive: bad CPIO magic at offset 0x108 (want 070701, newc)");
    CHECK_STR(refusal(&a, a.len), err);
}

const struct unit_test cpio_tests[] = {
    { "cpio: finds each of several names in one pass", finds_each_in_one_pass },
    { "cpio: layout is as documented", layout_is_as_documented },
    { "cpio: finds members", finds_members },
    { "cpio: accepts 070702 and lowercase hex", accepts_crc_magic_and_lowercase_hex },
    { "cpio: refuses truncation", refuses_truncation },
    { "cpio: refuses bad magic", refuses_bad_magic },
    { "cpio: refuses non-hex sizes", refuses_non_hex_sizes },
    { "cpio: refuses bad names", refuses_bad_names },
    { "cpio: refuses data past the end", refuses_data_past_end },
    { NULL, NULL },
};
