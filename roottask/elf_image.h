/* Reading a component's ELF (embedded in the root task) into the list of
 * segments to load, refusing anything the spawn path cannot load safely. */
#ifndef ROOTTASK_ELF_IMAGE_H
#define ROOTTASK_ELF_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 8

/* PT_LOAD p_flags bits. */
#define ELF_PF_X 1u
#define ELF_PF_W 2u
#define ELF_PF_R 4u

struct elf_segment {
    uint64_t vaddr, memsz, filesz;
    const uint8_t *data;       /* filesz bytes inside the image */
    unsigned flags;            /* ELF_PF_* */
};

struct elf_image {
    uint64_t entry;
    unsigned n_segments;
    struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* Fills *out from a little-endian AArch64 ET_EXEC image. Returns 0, or
 * writes why it is unusable into why[] and returns -1. Checks: header and
 * program headers inside the file, filesz <= memsz, no segment both
 * writable and executable, no two segments sharing a page, the entry in an
 * executable segment. */
int elf_image_read(const uint8_t *image, size_t size, struct elf_image *out, char *why,
                   size_t why_size);

#endif
