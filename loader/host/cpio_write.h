/* Pack-time CPIO (newc) writer: the payload archive the pack step links behind the
 * loader, byte for byte what `cpio -o -H newc --reproducible` wrote from
 * copies of the member files with their times set to 0 (the archive format
 * the images have always had), without copying the files or a 512-byte
 * block per syscall (a 33 MB Linux Image was 130,000 of them). */
#ifndef BOOTCHECK_CPIO_WRITE_H
#define BOOTCHECK_CPIO_WRITE_H

#include <stdint.h>

/* One member: its name in the archive and the file it comes from (NULL: an
 * empty member). pad_name: with align8, an empty member of that name goes
 * before this one when this one's bytes would otherwise start 8-byte aligned
 * in the archive (see pack_step.c: the riscv64 loader's archive starts 4 bytes
 * past an 8-byte boundary). */
struct newc_member {
    const char *name, *path, *pad_name;
    uint64_t size;                  /* filled in by cpio_write */
};

/* Writes the archive to out_path; owner and mode as a copy made in out_path's
 * directory would have (the umask, the directory's set-group-ID bit).
 * Returns 0, or -1 after one line on stderr. */
int newc_write(const char *out_path, struct newc_member *members, unsigned n, int align8);

#endif
