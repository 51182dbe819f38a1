/* elf.c: every refusal of elf_validate with its exact sentence, the facts of
 * an accepted image, elf_segment_get and elf_symbol_lookup. */
#include <string.h>

#include "../../loader/common/elf.h"
#include "build.h"
#include "check.h"

#define KV UINT64_C(0xffffff8040000000)
#define KP UINT64_C(0x40000000)

/* Two loadable segments and a PT_NULL entry, like a small EL1 kernel. */
static void good(struct test_elf *e)
{
    test_elf_init(e, 3);
    test_elf_load(e, 0, KV, KP, 0x80, 0x3000);
    test_elf_load(e, 1, KV + 0x4000, KP + 0x4000, 0x40, 0x1000);
    test_ehdr(e)->e_entry = KV + 0x10;
}

/* Validates e and returns the error sentence ("" on success). */
static const char *refusal(struct test_elf *e)
{
    static char err[ELF_ERR_LEN];
    struct elf_image img;
    strcpy(err, "");
    if (elf_validate(&img, e->bytes, e->size, err) == 0)
        return "";
    return err;
}

static void accepts_good_image(void)
{
    struct test_elf e;
    good(&e);
    struct elf_image img;
    char err[ELF_ERR_LEN];
    CHECK(elf_validate(&img, e.bytes, e.size, err) == 0);
    CHECK_U64(img.entry, KV + 0x10);
    CHECK_U64(img.phnum, 3);
    CHECK_U64(img.nload, 2);
    CHECK_U64(img.vaddr_min, KV);
    CHECK_U64(img.vaddr_max, KV + 0x5000);
    CHECK_U64(img.paddr_min, KP);
    CHECK_U64(img.paddr_max, KP + 0x5000);
    CHECK(img.data == e.bytes && img.size == TEST_ELF_SIZE);
}

static void segment_get_skips_unloaded_entries(void)
{
    struct test_elf e;
    good(&e);
    /* Phdr 0 becomes an empty PT_LOAD and phdr 2 the second loadable one:
     * n counts only PT_LOAD entries with memsz > 0. */
    test_elf_load(&e, 2, KV + 0x8000, KP + 0x8000, 0x20, 0x2000);
    test_phdr(&e, 0)->p_memsz = 0;
    test_phdr(&e, 0)->p_filesz = 0;
    struct elf_image img;
    char err[ELF_ERR_LEN];
    test_ehdr(&e)->e_entry = KV + 0x4000;
    CHECK(elf_validate(&img, e.bytes, e.size, err) == 0);
    CHECK_U64(img.nload, 2);
    struct elf_segment seg;
    elf_segment_get(&img, 0, &seg);
    CHECK_U64(seg.vaddr, KV + 0x4000);
    CHECK_U64(seg.offset, TEST_SEG_OFFSET(1));
    elf_segment_get(&img, 1, &seg);
    CHECK_U64(seg.vaddr, KV + 0x8000);
    CHECK_U64(seg.paddr, KP + 0x8000);
    CHECK_U64(seg.filesz, 0x20);
    CHECK_U64(seg.memsz, 0x2000);
    CHECK_U64(seg.flags, ELF_PF_R | ELF_PF_W);
    CHECK_U64(img.vaddr_min, KV + 0x4000);
}

static void refuses_short_files(void)
{
    struct test_elf e;
    good(&e);
    e.size = 15;
    CHECK_STR(refusal(&e), "file is 15 bytes, too short for an ELF identification");
    e.size = 0;
    CHECK_STR(refusal(&e), "file is 0 bytes, too short for an ELF identification");
    e.size = 63;
    CHECK_STR(refusal(&e), "file is 63 bytes, too short for an ELF64 header (64)");
}

static void refuses_bad_identification(void)
{
    struct test_elf e;
    good(&e);
    e.bytes[0] = 0x7e;
    CHECK_STR(refusal(&e), "bad ELF magic 7e 45 4c 46 (want 7f 45 4c 46)");
    good(&e);
    e.bytes[2] = 'l';
    CHECK_STR(refusal(&e), "bad ELF magic 7f 45 6c 46 (want 7f 45 4c 46)");
    good(&e);
    e.bytes[4] = 1;
    CHECK_STR(refusal(&e), "ELF class 1 is not ELFCLASS64 (2): this is a 32-bit ELF");
    e.bytes[4] = 0;
    CHECK_STR(refusal(&e), "ELF class 0 is not ELFCLASS64 (2)");
    good(&e);
    e.bytes[5] = 2;
    CHECK_STR(refusal(&e), "ELF data encoding 2 is not little-endian (1)");
}

static void refuses_bad_header_fields(void)
{
    struct test_elf e;
    good(&e);
    test_ehdr(&e)->e_machine = 62;
    CHECK_STR(refusal(&e), "ELF machine 62 is not EM_AARCH64 (183)");
    good(&e);
    test_ehdr(&e)->e_type = 3;
    CHECK_STR(refusal(&e), "ELF type 3 is not ET_EXEC (2)");
    good(&e);
    test_ehdr(&e)->e_phnum = 0;
    CHECK_STR(refusal(&e), "ELF has no program headers");
    good(&e);
    test_ehdr(&e)->e_phentsize = 64;
    CHECK_STR(refusal(&e), "program header entry size 64 is not 56");
}

static void refuses_phdr_table_outside_file(void)
{
    struct test_elf e;
    good(&e);
    /* 3 * 56 bytes from 0x3a0 end at 0x448, past the 0x400-byte file. */
    test_ehdr(&e)->e_phoff = 0x3a0;
    CHECK_STR(refusal(&e), "program header table [0x3a0..+3*56) lies outside the 1024-byte file");
    test_ehdr(&e)->e_phoff = 0x401;
    CHECK_STR(refusal(&e), "program header table [0x401..+3*56) lies outside the 1024-byte file");
    /* An offset near 2^64 must not wrap into the file. */
    test_ehdr(&e)->e_phoff = UINT64_MAX - 8;
    CHECK_STR(refusal(&e), "program header table [0xfffffffffffffff7..+3*56) lies outside the "
                           "1024-byte file");
    /* Exactly at the end still fits. */
    good(&e);
    memmove(e.bytes + TEST_ELF_SIZE - 3 * 56, e.bytes + 64, 3 * 56);
    test_ehdr(&e)->e_phoff = TEST_ELF_SIZE - 3 * 56;
    CHECK_STR(refusal(&e), "");
}

static void refuses_bad_segments(void)
{
    struct test_elf e;
    good(&e);
    test_phdr(&e, 1)->p_filesz = 0x1001;
    CHECK_STR(refusal(&e), "segment 1: filesz 0x1001 > memsz 0x1000");
    good(&e);
    test_phdr(&e, 1)->p_offset = 0x3f0;
    CHECK_STR(refusal(&e), "segment 1: file range [0x3f0..+0x40) lies outside the 1024-byte file");
    good(&e);
    test_phdr(&e, 0)->p_offset = UINT64_MAX - 0x10;
    CHECK_STR(refusal(&e), "segment 0: file range [0xffffffffffffffef..+0x80) lies outside the "
                           "1024-byte file");
    good(&e);
    test_phdr(&e, 1)->p_memsz = UINT64_MAX - (KV + 0x4000) + 1;   /* end is exactly 2^64 */
    CHECK_STR(refusal(&e), "segment 1: address + memsz overflows (vaddr 0xffffff8040004000 "
                           "paddr 0x40004000 memsz 0x7fbfffc000)");
    good(&e);
    /* The virtual end fits; the physical one wraps. */
    test_phdr(&e, 1)->p_paddr = UINT64_MAX - 0x800;
    test_phdr(&e, 1)->p_vaddr = KV + 0x100000;
    CHECK_STR(refusal(&e), "segment 1: address + memsz overflows (vaddr 0xffffff8040100000 "
                           "paddr 0xfffffffffffff7ff memsz 0x1000)");
}

static void refuses_overlapping_segments(void)
{
    struct test_elf e;
    good(&e);
    test_phdr(&e, 1)->p_vaddr = KV + 0x2fff;
    test_phdr(&e, 1)->p_paddr = KP + 0x10000;
    CHECK_STR(refusal(&e), "segments 0 and 1 overlap (vaddr [0xffffff8040000000..0xffffff8040003000)"
                           " and [0xffffff8040002fff..0xffffff8040003fff))");
    /* Disjoint in virtual space, overlapping in physical space. */
    good(&e);
    test_phdr(&e, 1)->p_paddr = KP + 0x2000;
    CHECK_STR(refusal(&e), "segments 0 and 1 overlap (vaddr [0xffffff8040000000..0xffffff8040003000)"
                           " and [0xffffff8040004000..0xffffff8040005000))");
    /* Adjacent is not overlapping. */
    good(&e);
    test_phdr(&e, 1)->p_vaddr = KV + 0x3000;
    test_phdr(&e, 1)->p_paddr = KP + 0x3000;
    CHECK_STR(refusal(&e), "");
    /* An empty PT_LOAD inside another segment is ignored, as is a non-LOAD. */
    good(&e);
    test_elf_load(&e, 2, KV + 0x100, KP + 0x100, 0, 0);
    CHECK_STR(refusal(&e), "");
    test_elf_load(&e, 2, KV + 0x100, KP + 0x100, 0x10, 0x10);
    test_phdr(&e, 2)->p_type = 4;
    CHECK_STR(refusal(&e), "");
    /* The third segment overlapping the first is reported as 0 and 2. */
    test_phdr(&e, 2)->p_type = ELF_PT_LOAD;
    CHECK_STR(refusal(&e), "segments 0 and 2 overlap (vaddr [0xffffff8040000000..0xffffff8040003000)"
                           " and [0xffffff8040000100..0xffffff8040000110))");
}

static void refuses_missing_loads_and_bad_entry(void)
{
    struct test_elf e;
    good(&e);
    test_phdr(&e, 0)->p_memsz = 0;
    test_phdr(&e, 0)->p_filesz = 0;
    test_phdr(&e, 1)->p_type = 6;   /* PT_PHDR */
    CHECK_STR(refusal(&e), "ELF has no PT_LOAD segment with memsz > 0");
    good(&e);
    test_ehdr(&e)->e_entry = KV + 0x3000;   /* the first byte after segment 0 */
    CHECK_STR(refusal(&e), "entry point 0xffffff8040003000 is not inside any PT_LOAD segment");
    test_ehdr(&e)->e_entry = KV + 0x4fff;   /* the last byte of segment 1 */
    CHECK_STR(refusal(&e), "");
    test_ehdr(&e)->e_entry = KV - 1;
    CHECK_STR(refusal(&e), "entry point 0xffffff803fffffff is not inside any PT_LOAD segment");
}

static void symbol_lookup(void)
{
    struct test_elf e;
    good(&e);
    const char *const names[] = { "_start", "bootinfo", "boot" };
    const uint64_t values[] = { KV, KV + 0x2000, KV + 0x40 };
    test_elf_symtab(&e, names, values, 3);
    struct elf_image img;
    char err[ELF_ERR_LEN];
    CHECK(elf_validate(&img, e.bytes, e.size, err) == 0);
    uint64_t value = 0, size = 0;
    CHECK(elf_symbol_lookup(&img, "bootinfo", &value, &size) == 0);
    CHECK_U64(value, KV + 0x2000);
    CHECK_U64(size, 16);
    /* "boot" must not match the prefix of "bootinfo", nor the reverse. */
    CHECK(elf_symbol_lookup(&img, "boot", &value, NULL) == 0);
    CHECK_U64(value, KV + 0x40);
    CHECK(elf_symbol_lookup(&img, "bootinf", &value, NULL) == -1);
    CHECK(elf_symbol_lookup(&img, "bootinfo2", &value, NULL) == -1);

    struct elf64_ehdr *h = test_ehdr(&e);
    h->e_shentsize = 40;
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == -1);
    h->e_shentsize = sizeof(struct elf64_shdr);
    uint64_t shoff = h->e_shoff;
    h->e_shoff = e.size - 64;    /* the table no longer fits */
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == -1);
    h->e_shoff = shoff;
    struct elf64_shdr *sh = (struct elf64_shdr *)(e.bytes + shoff);
    sh[1].sh_size = e.size;      /* symbol table runs past the file */
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == -1);
    sh[1].sh_size = 4 * sizeof(struct elf64_sym);
    uint64_t strtab = sh[2].sh_offset;
    sh[2].sh_offset = e.size;    /* string table starts at the end */
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == -1);
    sh[2].sh_offset = strtab;
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == 0);
    sh[1].sh_link = 3;           /* no such section: the table is skipped */
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == -1);
    /* A name offset beyond the string table is skipped, not followed. */
    good(&e);
    test_elf_symtab(&e, names, values, 1);
    CHECK(elf_validate(&img, e.bytes, e.size, err) == 0);
    sh = (struct elf64_shdr *)(e.bytes + test_ehdr(&e)->e_shoff);
    struct elf64_sym *sym = (struct elf64_sym *)(e.bytes + sh[1].sh_offset) + 1;
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == 0);
    sym->st_name = (uint32_t)sh[2].sh_size;
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == -1);
    /* A name running to the end of the string table without its NUL. */
    sym->st_name = 1;
    sh[2].sh_size = 1 + strlen("_start");
    CHECK(elf_symbol_lookup(&img, "_start", &value, NULL) == -1);
}

const struct unit_test elf_tests[] = {
    { "elf: accepts a good image", accepts_good_image },
    { "elf: segment_get skips unloaded entries", segment_get_skips_unloaded_entries },
    { "elf: refuses short files", refuses_short_files },
    { "elf: refuses bad identification", refuses_bad_identification },
    { "elf: refuses bad header fields", refuses_bad_header_fields },
    { "elf: refuses a phdr table outside the file", refuses_phdr_table_outside_file },
    { "elf: refuses bad segments", refuses_bad_segments },
    { "elf: refuses overlapping segments", refuses_overlapping_segments },
    { "elf: refuses no loads and a bad entry", refuses_missing_loads_and_bad_entry },
    { "elf: symbol lookup", symbol_lookup },
    { NULL, NULL },
};
