/* fdt_scan.c: the facts it collects from a well-formed tree, and every
 * refusal sentence, on blobs built token by token. */
#include <string.h>

#include "../../loader/common/fdt_scan.h"
#include "check.h"

#define TOK_BEGIN 1u
#define TOK_END_NODE 2u
#define TOK_PROP 3u
#define TOK_NOP 4u
#define TOK_END 9u
#define HEADER_AND_RSVMAP 56u   /* 40-byte header, one empty reservation entry */

struct blob {
    uint8_t b[2048];
    uint32_t st;       /* bytes of structure block written */
    char strings[256];
    uint32_t strsize;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void token(struct blob *x, uint32_t t)
{
    put32(x->b + HEADER_AND_RSVMAP + x->st, t);
    x->st += 4;
}

static void begin(struct blob *x, const char *name)
{
    token(x, TOK_BEGIN);
    size_t n = strlen(name) + 1;
    memcpy(x->b + HEADER_AND_RSVMAP + x->st, name, n);
    x->st += (uint32_t)((n + 3) & ~(size_t)3);
}

static uint32_t string_offset(struct blob *x, const char *name)
{
    for (uint32_t off = 0; off < x->strsize; off += (uint32_t)strlen(x->strings + off) + 1)
        if (strcmp(x->strings + off, name) == 0)
            return off;
    uint32_t off = x->strsize;
    strcpy(x->strings + off, name);
    x->strsize += (uint32_t)strlen(name) + 1;
    return off;
}

static void prop(struct blob *x, const char *name, const void *value, uint32_t len)
{
    token(x, TOK_PROP);
    put32(x->b + HEADER_AND_RSVMAP + x->st, len);
    put32(x->b + HEADER_AND_RSVMAP + x->st + 4, string_offset(x, name));
    memcpy(x->b + HEADER_AND_RSVMAP + x->st + 8, value, len);
    x->st += 8 + ((len + 3) & ~3u);
}

static void prop_u32(struct blob *x, const char *name, uint32_t v)
{
    uint8_t be[4];
    put32(be, v);
    prop(x, name, be, 4);
}

/* Writes the header and the strings block after the structure written so far. */
static const void *finish(struct blob *x)
{
    uint32_t stroff = HEADER_AND_RSVMAP + x->st;
    memcpy(x->b + stroff, x->strings, x->strsize);
    uint32_t total = stroff + x->strsize;
    put32(x->b + 0, 0xd00dfeed);
    put32(x->b + 4, total);
    put32(x->b + 8, HEADER_AND_RSVMAP);
    put32(x->b + 12, stroff);
    put32(x->b + 16, 40);
    put32(x->b + 20, 17);
    put32(x->b + 24, 16);
    put32(x->b + 32, x->strsize);
    put32(x->b + 36, x->st);
    return x->b;
}

static void start(struct blob *x)
{
    memset(x, 0, sizeof *x);
    begin(x, "");
}

/* / { #address-cells = 2; #size-cells = 2; psci { method = "hvc"; };
 *     memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x40000000>; };
 *     soc { memory@0 { device_type = "memory"; reg = ...; }; };  (not a root child)
 *     fake { device_type = "memoryX"; }; }; */
static void well_formed(struct blob *x)
{
    start(x);
    prop_u32(x, "#address-cells", 2);
    prop_u32(x, "#size-cells", 2);
    token(x, TOK_NOP);
    begin(x, "psci");
    prop(x, "method", "hvc", 4);
    token(x, TOK_END_NODE);
    begin(x, "memory@40000000");
    prop(x, "device_type", "memory", 7);
    static const uint8_t reg[16] = { 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0 };
    prop(x, "reg", reg, sizeof reg);
    token(x, TOK_END_NODE);
    begin(x, "soc");
    begin(x, "memory@0");
    prop(x, "device_type", "memory", 7);
    prop(x, "reg", reg, sizeof reg);
    token(x, TOK_END_NODE);
    token(x, TOK_END_NODE);
    begin(x, "fake");
    prop(x, "device_type", "memoryX", 8);
    token(x, TOK_END_NODE);
    token(x, TOK_END_NODE);
    token(x, TOK_END);
}

static const char *refusal(struct blob *x)
{
    static char err[FDT_SCAN_ERR_LEN];
    struct fdt_scan s;
    strcpy(err, "");
    if (fdt_scan(finish(x), &s, err) == 0)
        return "(accepted)";
    return err;
}

static void collects_cells_memory_and_psci(void)
{
    struct blob x;
    well_formed(&x);
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    CHECK_U64(s.address_cells, 2);
    CHECK_U64(s.size_cells, 2);
    CHECK_U64(s.nmemory, 1);   /* only the root's child; not soc/memory@0, not "memoryX" */
    CHECK_STR(s.memory[0].name, "memory@40000000");
    CHECK_U64(s.memory[0].reg_len, 16);
    CHECK_U64(s.psci_method_len, 4);
    CHECK_STR(s.psci_method, "hvc");
}

/* / { psci {}; cpus { #address-cells = 1; cpu@0 { device_type = "cpu"; reg = <0>; };
 *        cpu-map {}; cpu@100 { device_type = "cpu"; reg = <0x100>; }; cpu@2 { device_type = "cpu"; };
 *        l2 { device_type = "cache"; reg = <7>; }; };
 *     other { cpu@9 { device_type = "cpu"; reg = <9>; }; }; }; */
static void collects_cpus_in_order(void)
{
    struct blob x;
    start(&x);
    begin(&x, "psci");
    token(&x, TOK_END_NODE);
    begin(&x, "cpus");
    prop_u32(&x, "#address-cells", 1);
    begin(&x, "cpu@0");
    prop(&x, "device_type", "cpu", 4);
    prop_u32(&x, "reg", 0);
    token(&x, TOK_END_NODE);
    begin(&x, "cpu-map");
    token(&x, TOK_END_NODE);
    begin(&x, "cpu@100");
    prop_u32(&x, "reg", 0x100);
    prop(&x, "device_type", "cpu", 4);
    token(&x, TOK_END_NODE);
    begin(&x, "cpu@2");
    prop(&x, "device_type", "cpu", 4);
    token(&x, TOK_END_NODE);
    begin(&x, "l2");
    prop(&x, "device_type", "cache", 6);
    prop_u32(&x, "reg", 7);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END_NODE);
    begin(&x, "other");
    begin(&x, "cpu@9");
    prop(&x, "device_type", "cpu", 4);
    prop_u32(&x, "reg", 9);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    CHECK(s.has_psci);
    CHECK_U64(s.cpus_address_cells, 1);
    CHECK_U64(s.ncpus, 3);     /* not cpu-map, not the cache, not other/cpu@9 */
    CHECK_STR(s.cpu[0].name, "cpu@0");
    CHECK_STR(s.cpu[1].name, "cpu@100");
    CHECK_U64(s.cpu[1].reg_len, 4);
    CHECK_U64((uint64_t)s.cpu[1].reg[2] << 8 | s.cpu[1].reg[3], 0x100);
    CHECK_STR(s.cpu[2].name, "cpu@2");
    CHECK(s.cpu[2].reg == NULL);
}

static void no_psci_no_cpus(void)
{
    struct blob x;
    start(&x);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    CHECK(!s.has_psci);
    CHECK_U64(s.ncpus, 0);
}

static void refuses_too_many_cpus(void)
{
    struct blob x;
    start(&x);
    begin(&x, "cpus");
    for (int i = 0; i <= FDT_SCAN_MAX_CPUS; i++) {
        begin(&x, "cpu");
        prop(&x, "device_type", "cpu", 4);
        token(&x, TOK_END_NODE);
    }
    token(&x, TOK_END_NODE);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    CHECK_STR(refusal(&x), "more than 16 cpu nodes in /cpus");
}

static void root_cells_default_as_libfdt(void)
{
    struct blob x;
    start(&x);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    CHECK_U64(s.address_cells, 2);
    CHECK_U64(s.size_cells, 1);
    CHECK_U64(s.nmemory, 0);
    CHECK(s.psci_method == NULL);
}

static void refuses_unknown_token(void)
{
    struct blob x;
    start(&x);
    token(&x, 7);
    CHECK_STR(refusal(&x), "unknown token 0x00000007 at structure offset 0x8");
}

static void refuses_unbalanced_end_node(void)
{
    struct blob x;
    memset(&x, 0, sizeof x);
    token(&x, TOK_END_NODE);
    CHECK_STR(refusal(&x), "FDT_END_NODE at structure offset 0x0 closes no node");
}

static void refuses_end_with_open_node(void)
{
    struct blob x;
    start(&x);
    begin(&x, "cpus");
    token(&x, TOK_END);
    /* root BEGIN_NODE + empty name: 8 bytes; BEGIN_NODE "cpus\0": 4 + 8 */
    CHECK_STR(refusal(&x), "FDT_END at structure offset 0x14 with 2 node(s) still open");
}

static void refuses_missing_end(void)
{
    struct blob x;
    start(&x);
    token(&x, TOK_END_NODE);
    CHECK_STR(refusal(&x), "structure block ends at 0xc without an FDT_END token");
}

static void refuses_name_past_block(void)
{
    struct blob x;
    start(&x);
    token(&x, TOK_BEGIN);
    memcpy(x.b + HEADER_AND_RSVMAP + x.st, "abcd", 4);   /* no NUL inside the block */
    x.st += 4;
    CHECK_STR(refusal(&x), "node name at structure offset 0xc runs past the block");
}

static void refuses_property_value_past_block(void)
{
    struct blob x;
    start(&x);
    prop_u32(&x, "x", 1);
    put32(x.b + HEADER_AND_RSVMAP + 12, 0x100);   /* the property's length word */
    CHECK_STR(refusal(&x),
              "property at structure offset 0x8: 256-byte value runs past the block");
}

static void refuses_name_offset_outside_strings(void)
{
    struct blob x;
    start(&x);
    prop_u32(&x, "x", 1);
    put32(x.b + HEADER_AND_RSVMAP + 16, 0x40);    /* the property's name offset */
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    CHECK_STR(refusal(&x), "property at structure offset 0x8: name offset 0x40 is not a string"
                           " inside the 2-byte strings block");
}

static void refuses_property_outside_nodes(void)
{
    struct blob x;
    memset(&x, 0, sizeof x);
    prop_u32(&x, "x", 1);
    CHECK_STR(refusal(&x), "property at structure offset 0x0 is outside every node");
}

static void refuses_second_root(void)
{
    struct blob x;
    start(&x);
    token(&x, TOK_END_NODE);
    begin(&x, "");
    CHECK_STR(refusal(&x), "node at structure offset 0xc is not inside the (unnamed) root");
}

static void refuses_named_root(void)
{
    struct blob x;
    memset(&x, 0, sizeof x);
    begin(&x, "root");
    CHECK_STR(refusal(&x), "node at structure offset 0x0 is not inside the (unnamed) root");
}

static void refuses_blocks_outside_totalsize(void)
{
    struct blob x;
    well_formed(&x);
    const void *fdt = finish(&x);
    put32(x.b + 36, 0x10000);   /* size_dt_struct */
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(fdt, &s, err) != 0);
    CHECK(strstr(err, "outside totalsize") != NULL);
}

/* The strings block "x\0ab": offset 0 is a string, offset 2 runs to the
 * block's end without a NUL (the scan checks offsets against the block's
 * last NUL, found once). */
static void name_offset_needs_a_nul_before_the_block_end(void)
{
    struct blob x;
    start(&x);
    prop_u32(&x, "x", 1);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    memcpy(x.strings + x.strsize, "ab", 2);   /* an unterminated tail */
    x.strsize += 2;
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    put32(x.b + HEADER_AND_RSVMAP + 16, 2);    /* the property's name offset: "ab" */
    CHECK_STR(refusal(&x), "property at structure offset 0x8: name offset 0x2 is not a string"
                           " inside the 4-byte strings block");
}

/* Node names of every length around the 4-byte steps of the word-at-a-time
 * search: each memory node is found by its full name. */
static void node_names_of_every_length(void)
{
    static const char *const names[] = { "m", "me", "mem", "memo", "memor", "memory",
                                         "memory@", "memory@4" };
    struct blob x;
    start(&x);
    for (unsigned i = 0; i < 8; i++) {
        begin(&x, names[i]);
        prop(&x, "device_type", "memory", 7);
        token(&x, TOK_END_NODE);
    }
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    CHECK_U64(s.nmemory, 8);
    for (unsigned i = 0; i < s.nmemory && i < 8; i++)
        CHECK_STR(s.memory[i].name, names[i]);
}

/* A name's length decides /cpus and /psci: "cpusX" and "psciX" are neither,
 * "psci@1" is /psci (the length comes from the word-at-a-time search). */
static void names_that_only_start_like_cpus_or_psci(void)
{
    struct blob x;
    start(&x);
    begin(&x, "cpusX");
    begin(&x, "cpu@0");
    prop(&x, "device_type", "cpu", 4);
    prop_u32(&x, "reg", 0);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END_NODE);
    begin(&x, "psciX");
    token(&x, TOK_END_NODE);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    struct fdt_scan s;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    CHECK_U64(s.ncpus, 0);
    CHECK(!s.has_psci);

    start(&x);
    begin(&x, "psci@1");
    token(&x, TOK_END_NODE);
    token(&x, TOK_END_NODE);
    token(&x, TOK_END);
    CHECK(fdt_scan(finish(&x), &s, err) == 0);
    CHECK(s.has_psci);
}

/* A structure block that is not 4-byte aligned in memory is read byte by
 * byte: the same facts and the same refusals as the aligned blob. */
static void unaligned_block_reads_the_same(void)
{
    struct blob x;
    well_formed(&x);
    const uint8_t *aligned = finish(&x);
    static uint8_t shifted[sizeof x.b + 1];
    memcpy(shifted + 1, aligned, sizeof x.b);
    struct fdt_scan a, u;
    char err[FDT_SCAN_ERR_LEN];
    CHECK(fdt_scan(aligned, &a, err) == 0);
    CHECK(fdt_scan(shifted + 1, &u, err) == 0);
    CHECK_U64(u.address_cells, a.address_cells);
    CHECK_U64(u.size_cells, a.size_cells);
    CHECK_U64(u.nmemory, 1);
    CHECK_STR(u.memory[0].name, "memory@40000000");
    CHECK_U64(u.memory[0].reg_len, 16);
    CHECK_STR(u.psci_method, "hvc");

    start(&x);
    token(&x, TOK_BEGIN);
    memcpy(x.b + HEADER_AND_RSVMAP + x.st, "abcd", 4);   /* no NUL inside the block */
    x.st += 4;
    memcpy(shifted + 1, finish(&x), sizeof x.b);
    CHECK(fdt_scan(shifted + 1, &u, err) != 0);
    CHECK_STR(err, "node name at structure offset 0xc runs past the block");
}

const struct unit_test fdt_scan_tests[] = {
    { "fdt_scan collects cells, memory and psci", collects_cells_memory_and_psci },
    { "fdt_scan root cells default as libfdt", root_cells_default_as_libfdt },
    { "fdt_scan collects /cpus' CPU nodes in order", collects_cpus_in_order },
    { "fdt_scan: no /psci, no /cpus", no_psci_no_cpus },
    { "fdt_scan refuses more than 16 CPU nodes", refuses_too_many_cpus },
    { "fdt_scan refuses an unknown token", refuses_unknown_token },
    { "fdt_scan refuses an unbalanced END_NODE", refuses_unbalanced_end_node },
    { "fdt_scan refuses FDT_END with open nodes", refuses_end_with_open_node },
    { "fdt_scan refuses a block without FDT_END", refuses_missing_end },
    { "fdt_scan refuses a name past the block", refuses_name_past_block },
    { "fdt_scan refuses a value past the block", refuses_property_value_past_block },
    { "fdt_scan refuses a name offset outside strings", refuses_name_offset_outside_strings },
    { "fdt_scan refuses a property outside nodes", refuses_property_outside_nodes },
    { "fdt_scan refuses a second root", refuses_second_root },
    { "fdt_scan refuses a named root", refuses_named_root },
    { "fdt_scan refuses blocks outside totalsize", refuses_blocks_outside_totalsize },
    { "fdt_scan: a name offset needs a NUL before the block end",
      name_offset_needs_a_nul_before_the_block_end },
    { "fdt_scan finds node names of every length", node_names_of_every_length },
    { "fdt_scan: cpusX and psciX are not /cpus and /psci", names_that_only_start_like_cpus_or_psci },
    { "fdt_scan reads an unaligned block the same", unaligned_block_reads_the_same },
    { NULL, NULL },
};
