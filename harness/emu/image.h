/* A loader image as `make image` / pack.sh writes it: the loader's ELF with
 * the payload archive (kernel.elf, roottask.elf, optional kernel.dtb and
 * handoff.record)
 * between the symbols _payload_start and _payload_end. */
#ifndef EMU_IMAGE_H
#define EMU_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "../../loader/common/cpio.h"
#include "../../loader/common/elf.h"
#include "../../loader/common/handoff_record.h"
#include "machine.h"
#include "symbols.h"

struct emu_payload_elf {
    int present;
    struct elf_image elf;
    struct emu_symbols syms;
};

struct emu_image {
    uint8_t *file;
    uint64_t size;
    struct elf_image elf;
    struct emu_symbols syms;
    int has_payload;               /* 0: an image not made by pack; run it, check nothing */
    char payload_problem[200];     /* why the payload could not be read (for the report) */
    struct emu_payload_elf kernel, roottask;
    uint8_t *dtb;                  /* copy of payload kernel.dtb, or NULL */
    uint64_t dtb_size;
    /* The opt-in hand-off record member (loader/common/handoff_record.h). */
    int has_handoff_record;
    uint64_t handoff_record_member_size;
    uint64_t handoff_record_pa;    /* decoded when the member has the right size */
};

/* Reads and validates the image. Returns -1 (err says why) only if it is not
 * a loadable AArch64 ELF; a missing or broken payload is recorded instead,
 * because the loader itself must report it. */
int emu_image_open(struct emu_image *img, const char *path, char *err, size_t errlen);
void emu_image_close(struct emu_image *img);

/* Lowest physical load address of the image's PT_LOAD segments. */
uint64_t emu_image_lowest_paddr(const struct emu_image *img);

/* Copies the PT_LOAD segments to their physical addresses, zero-filling
 * [filesz, memsz), as QEMU's -kernel ELF loader does. */
int emu_image_load(const struct emu_image *img, struct emu_machine *m, char *err, size_t errlen);

/* A loader layout symbol (e.g. "__bss_start"); -1 if absent. */
int emu_loader_symbol(const struct emu_image *img, const char *name, uint64_t *value);

#endif
