/* Whole-file reads for emu-check's inputs (the loader image, given ELFs and
 * DTBs, QEMU's DTB dumps): one reader for both architectures' programs. */
#ifndef EMU_HOST_FILE_H
#define EMU_HOST_FILE_H

#include <stddef.h>
#include <stdint.h>

/* The file's bytes in memory that free() releases, and its size; NULL with
 * "cannot open WHAT'PATH': REASON" or "cannot read WHAT'PATH'" in err (what
 * is "" or ends in a space). An empty file is read as 0 bytes (1 allocated). */
uint8_t *host_file_read(const char *path, const char *what, uint64_t *size, char *err, size_t errlen);

#endif
