#include "cpio.h"

#include "fmt.h"

#define NEWC_HDR_LEN 110

static int parse_hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t c = p[i];
        /* One unsigned compare per class: c - '0' wraps above 9 for anything
         * below '0'; c | 0x20 folds 'A'..'F' onto 'a'..'f' (and nothing else
         * onto them). */
        uint32_t digit = c - '0';
        uint32_t letter = (c | 0x20) - 'a';
        if (digit <= 9)
            v = v << 4 | digit;
        else if (letter <= 5)
            v = v << 4 | (letter + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static uint64_t align4(uint64_t v)
{
    return (v + 3) & ~(uint64_t)3;
}

static int streq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Reads the member header at *off: 1 and the member (then *off moves past
 * it), 0 at the TRAILER!!! entry, -1 if malformed (err says how). */
static int next_member(const uint8_t *base, uint64_t size, uint64_t *offp,
                       struct cpio_member *out, char err[CPIO_ERR_LEN])
{
    uint64_t off = *offp;
    if (off > size || size - off < NEWC_HDR_LEN) {
        bc_snprintf(err, CPIO_ERR_LEN,
                    "payload archive truncated: header at offset 0x%lx needs 110 bytes, %lu left"
                    " (no TRAILER!!! entry)",
                    (unsigned long)off, (unsigned long)(off > size ? 0 : size - off));
        return -1;
    }
    const uint8_t *h = base + off;
    if (h[0] != '0' || h[1] != '7' || h[2] != '0' || h[3] != '7' || h[4] != '0' ||
        (h[5] != '1' && h[5] != '2')) {
        bc_snprintf(err, CPIO_ERR_LEN,
                    "payload archive: bad CPIO magic at offset 0x%lx (want 070701, newc)",
                    (unsigned long)off);
        return -1;
    }
    uint32_t filesize, namesize;
    /* Field order: magic(6) ino mode uid gid nlink mtime filesize devmajor
     * devminor rdevmajor rdevminor namesize check, 8 hex digits each. */
    if (parse_hex8(h + 6 + 6 * 8, &filesize) != 0 || parse_hex8(h + 6 + 11 * 8, &namesize) != 0) {
        bc_snprintf(err, CPIO_ERR_LEN,
                    "payload archive: non-hex size field in CPIO header at offset 0x%lx",
                    (unsigned long)off);
        return -1;
    }
    uint64_t name_off = off + NEWC_HDR_LEN;
    if (namesize == 0 || namesize > size - name_off) {
        bc_snprintf(err, CPIO_ERR_LEN,
                    "payload archive: member name (%u bytes) at offset 0x%lx runs past the end",
                    namesize, (unsigned long)name_off);
        return -1;
    }
    const char *mname = (const char *)base + name_off;
    if (mname[namesize - 1] != '\0') {
        bc_snprintf(err, CPIO_ERR_LEN,
                    "payload archive: member name at offset 0x%lx is not NUL-terminated",
                    (unsigned long)name_off);
        return -1;
    }
    uint64_t data_off = align4(name_off + namesize);
    if (data_off > size || filesize > size - data_off) {
        bc_snprintf(err, CPIO_ERR_LEN,
                    "payload archive: member '%s' (%u bytes at offset 0x%lx) runs past the"
                    " %lu-byte archive",
                    mname, filesize, (unsigned long)data_off, (unsigned long)size);
        return -1;
    }
    if (streq(mname, "TRAILER!!!"))
        return 0;
    out->name = mname;
    out->data = base + data_off;
    out->size = filesize;
    *offp = align4(data_off + filesize);
    return 1;
}

int cpio_find(const void *archive, uint64_t size, const char *name,
              struct cpio_member *out, char err[CPIO_ERR_LEN])
{
    uint64_t off = 0;
    struct cpio_member m;
    int r;
    while ((r = next_member(archive, size, &off, &m, err)) == 1) {
        if (streq(m.name, name)) {
            *out = m;
            return 1;
        }
    }
    return r;
}

int cpio_find_each(const void *archive, uint64_t size, const char *const names[], unsigned n,
                   struct cpio_member out[], int found[], char err[CPIO_ERR_LEN])
{
    uint64_t off = 0;
    struct cpio_member m;
    unsigned missing = n;
    for (unsigned i = 0; i < n; i++)
        found[i] = 0;
    while (missing > 0) {
        int r = next_member(archive, size, &off, &m, err);
        if (r <= 0)
            return r;
        /* The first member of a name wins, as with cpio_find. */
        for (unsigned i = 0; i < n; i++) {
            if (!found[i] && streq(m.name, names[i])) {
                out[i] = m;
                found[i] = 1;
                missing--;
            }
        }
    }
    return 0;
}

int cpio_member_at(const void *archive, uint64_t size, unsigned index,
                   struct cpio_member *out, char err[CPIO_ERR_LEN])
{
    uint64_t off = 0;
    struct cpio_member m;
    int r;
    for (unsigned i = 0; (r = next_member(archive, size, &off, &m, err)) == 1; i++) {
        if (i == index) {
            *out = m;
            return 1;
        }
    }
    return r;
}
