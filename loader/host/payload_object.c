/* See payload_object.h. Layout: ELF header, the archive's bytes, then the
 * symbol table, its string table and the section name table, then the
 * section headers: null, .payload, .symtab, .strtab, .shstrtab. The archive
 * goes through a 64 KiB chunk straight into the object file: held in a
 * buffer grown by doubling, it cost a pack step about 160 page faults and
 * as many copies of itself. */
#include "payload_object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM_AARCH64_NUM 183
#define EM_RISCV_NUM 243
#define EF_RISCV_RVC_FLAG 0x1u       /* rv64imac: compressed instructions, soft-float ABI */
#define SHN_ABS_NUM 0xfff1u

struct buf {
    unsigned char *data;
    size_t len, cap;
    uint64_t base;              /* the file offset of data[0] */
};

static int put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (d == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int put_le(struct buf *b, uint64_t v, unsigned bytes)
{
    unsigned char le[8];
    for (unsigned i = 0; i < bytes; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return put(b, le, bytes);
}

static int pad_to(struct buf *b, size_t align)
{
    static const unsigned char zero[8];
    uint64_t at = b->base + b->len;
    return at % align ? put(b, zero, align - at % align) : 0;
}

/* One section header (64 bytes). */
static int put_shdr(struct buf *b, uint32_t name, uint32_t type, uint64_t flags, uint64_t offset,
                    uint64_t size, uint32_t link, uint32_t info, uint64_t align, uint64_t entsize)
{
    return put_le(b, name, 4) || put_le(b, type, 4) || put_le(b, flags, 8) || put_le(b, 0, 8) ||
           put_le(b, offset, 8) || put_le(b, size, 8) || put_le(b, link, 4) || put_le(b, info, 4) ||
           put_le(b, align, 8) || put_le(b, entsize, 8);
}

int payload_object_write(const char *out_path, const char *archive_path, const char *arch,
                         const struct payload_symbol *symbols, unsigned nsymbols)
{
    unsigned machine;
    uint32_t flags;
    if (strcmp(arch, "aarch64") == 0) {
        machine = EM_AARCH64_NUM;
        flags = 0;
    } else if (strcmp(arch, "riscv64") == 0) {
        machine = EM_RISCV_NUM;
        flags = EF_RISCV_RVC_FLAG;
    } else {
        fprintf(stderr, "pack: error: no payload object for architecture '%s'\n", arch);
        return -1;
    }
    FILE *f = fopen(archive_path, "rb");
    if (f == NULL) {
        fprintf(stderr, "pack: error: cannot read payload archive '%s'\n", archive_path);
        return -1;
    }
    FILE *out = fopen(out_path, "wb");
    if (out == NULL) {
        fclose(f);
        fprintf(stderr, "pack: error: cannot write payload object '%s'\n", out_path);
        return -1;
    }
    static const char shstrtab[] = "\0.payload\0.symtab\0.strtab\0.shstrtab";
    enum { NAME_PAYLOAD = 1, NAME_SYMTAB = 10, NAME_STRTAB = 18, NAME_SHSTRTAB = 26 };
    int err = 0, write_err = 0;

    /* Room for the ELF header, written last (it holds the section headers'
     * offset), then the archive, chunk by chunk. */
    static const unsigned char header_room[64];
    write_err |= fwrite(header_room, 1, sizeof header_room, out) != sizeof header_room;
    uint64_t payload_off = sizeof header_room, payload_size = 0;
    unsigned char chunk[65536];
    size_t n;
    while (!write_err && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        write_err |= fwrite(chunk, 1, n, out) != n;
        payload_size += n;
    }
    err |= ferror(f);
    fclose(f);

    /* Everything after the archive, built in memory from its file offset. */
    struct buf obj = { .base = payload_off + payload_size }, strtab = { 0 }, symtab = { 0 };
    /* Symbols: the null one, then each given one, global and absolute. */
    err |= put(&strtab, "", 1);
    err |= put_le(&symtab, 0, 8) || put_le(&symtab, 0, 8) || put_le(&symtab, 0, 8);
    for (unsigned i = 0; i < nsymbols && !err; i++) {
        err |= put_le(&symtab, strtab.len, 4) || put_le(&symtab, 0x10 /* GLOBAL, NOTYPE */, 1) ||
               put_le(&symtab, 0, 1) || put_le(&symtab, SHN_ABS_NUM, 2) ||
               put_le(&symtab, symbols[i].value, 8) || put_le(&symtab, 0, 8);
        err |= put(&strtab, symbols[i].name, strlen(symbols[i].name) + 1);
    }
    err |= pad_to(&obj, 8);
    uint64_t symtab_off = obj.base + obj.len;
    err |= put(&obj, symtab.data, symtab.len);
    uint64_t strtab_off = obj.base + obj.len;
    err |= put(&obj, strtab.data, strtab.len);
    uint64_t shstrtab_off = obj.base + obj.len;
    err |= put(&obj, shstrtab, sizeof shstrtab);
    err |= pad_to(&obj, 8);
    uint64_t shoff = obj.base + obj.len;
    err |= put_shdr(&obj, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    err |= put_shdr(&obj, NAME_PAYLOAD, 1 /* PROGBITS */, 2 /* ALLOC */, payload_off, payload_size,
                    0, 0, 1, 0);
    err |= put_shdr(&obj, NAME_SYMTAB, 2 /* SYMTAB */, 0, symtab_off, symtab.len, 3, 1 /* first global */,
                    8, 24);
    err |= put_shdr(&obj, NAME_STRTAB, 3 /* STRTAB */, 0, strtab_off, strtab.len, 0, 0, 1, 0);
    err |= put_shdr(&obj, NAME_SHSTRTAB, 3 /* STRTAB */, 0, shstrtab_off, sizeof shstrtab, 0, 0, 1, 0);
    free(symtab.data);
    free(strtab.data);
    /* ELF header: ET_REL, machine, version, no entry or program headers. */
    unsigned char ident[16] = { 0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LE */, 1 /* current */ };
    struct buf h = { 0 };
    err |= put(&h, ident, sizeof ident) || put_le(&h, 1 /* ET_REL */, 2) || put_le(&h, machine, 2) ||
           put_le(&h, 1, 4) || put_le(&h, 0, 8) || put_le(&h, 0, 8) || put_le(&h, shoff, 8) ||
           put_le(&h, flags, 4) || put_le(&h, 64, 2) || put_le(&h, 0, 2) || put_le(&h, 0, 2) ||
           put_le(&h, 64, 2) || put_le(&h, 5, 2) || put_le(&h, 4, 2);
    if (!err)
        write_err |= fwrite(obj.data, 1, obj.len, out) != obj.len || fseek(out, 0, SEEK_SET) != 0 ||
                     fwrite(h.data, 1, h.len, out) != h.len;
    free(h.data);
    free(obj.data);
    if (fclose(out) != 0)
        write_err = 1;
    if (err || write_err) {
        remove(out_path);
        if (err)
            fprintf(stderr, "pack: error: cannot build the payload object from '%s'\n", archive_path);
        else
            fprintf(stderr, "pack: error: cannot write payload object '%s'\n", out_path);
        return -1;
    }
    return 0;
}
