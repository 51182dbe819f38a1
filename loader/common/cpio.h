/* Reader for the payload archive: CPIO "newc" (magic 070701), as written by
 * `cpio -o -H newc`. Validates every header field it uses against the buffer. */
#ifndef BOOTCHECK_CPIO_H
#define BOOTCHECK_CPIO_H

#include <stdint.h>

#define CPIO_ERR_LEN 160

/* Standard member names in a bootcheck payload. */
#define PAYLOAD_KERNEL   "kernel.elf"
#define PAYLOAD_ROOTTASK "roottask.elf"
#define PAYLOAD_DTB      "kernel.dtb"

struct cpio_member {
    const char *name;       /* points into the archive; NUL-terminated */
    const uint8_t *data;
    uint64_t size;
};

/* Finds member `name`. Returns 1 if found, 0 if the archive is valid but has
 * no such member, -1 if the archive is malformed (err then says how). */
int cpio_find(const void *archive, uint64_t size, const char *name,
              struct cpio_member *out, char err[CPIO_ERR_LEN]);

/* Finds each of names[0..n) in one pass over the archive (a loader looking
 * up its kernel, root task and DTB reads every header once, not once per
 * name). found[i] is 1 with out[i] set, or 0. The pass stops once every name
 * is found, so it reads exactly the headers the n cpio_find calls would.
 * Returns 0, or -1 if the archive is malformed (err then says how). */
int cpio_find_each(const void *archive, uint64_t size, const char *const names[], unsigned n,
                   struct cpio_member out[], int found[], char err[CPIO_ERR_LEN]);

/* The member at position index (0 = first) in archive order. Returns 1 if
 * there is one, 0 if the archive is valid but shorter, -1 if malformed. */
int cpio_member_at(const void *archive, uint64_t size, unsigned index,
                   struct cpio_member *out, char err[CPIO_ERR_LEN]);

#endif
