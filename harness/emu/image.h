/* A loader image and the kernel, root task and DTB it carries. Three ways to
 * know them (the payload finder):
 * - `make image` (pack-check --pack): the payload archive (kernel.elf, roottask.elf,
 *   optional kernel.dtb and handoff.record) between _payload_start and
 *   _payload_end;
 * - seL4's stock elfloader (seL4_tools elfloader-tool): a CPIO newc archive
 *   between _archive_start and _archive_start_end holding kernel.elf,
 *   optionally kernel.dtb, and the root task as the first other ELF member
 *   (hash members, *.bin, are skipped);
 * - any other loader: the kernel and root task ELF files named by the user
 *   (emu_image_use_files), which must occur inside the image. */
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

enum emu_payload_format {
    EMU_PAYLOAD_NONE,            /* not recognised, no files given */
    EMU_PAYLOAD_PACK,            /* made by our pack step: our loader, plan checks apply */
    EMU_PAYLOAD_SEL4_ELFLOADER,  /* seL4_tools' elfloader archive */
    EMU_PAYLOAD_FILES,           /* --kernel/--roottask files of an unknown loader */
};

struct emu_image {
    uint8_t *file;
    uint64_t size;
    unsigned machine;              /* the image's e_machine: ELF_EM_AARCH64 or ELF_EM_RISCV */
    struct elf_image elf;
    struct emu_symbols syms;
    int has_payload;               /* 0: an image not made by pack; run it, check nothing */
    char payload_problem[320];     /* why the payload could not be read (for the report) */
    struct emu_payload_elf kernel, roottask;
    uint8_t *dtb;                  /* copy of payload kernel.dtb, or NULL */
    uint64_t dtb_size;
    /* The opt-in hand-off record member (loader/common/handoff_record.h). */
    int has_handoff_record;
    uint64_t handoff_record_member_size;
    uint64_t handoff_record_pa;    /* decoded when the member has the right size */
    /* The Linux payload kind (loader/common/linux_image.h): pointers into file. */
    int is_linux;
    const uint8_t *linux_image, *linux_initrd;
    uint64_t linux_image_size, linux_initrd_size, linux_bootargs_size;
    enum emu_payload_format format;
    char roottask_member[64];      /* archive member name of the root task, if any */
    uint8_t *given[2];             /* files read for --kernel and --roottask */
};

/* Payload format as a short name ("pack", "sel4-elfloader", "files", "none"). */
const char *emu_payload_format_name(enum emu_payload_format f);

/* Uses the kernel, root task (and DTB) files a user named. With a recognised
 * payload, each file must be byte-identical to the member it replaces; with
 * none, each ELF's first loadable bytes must occur in the image file. Returns
 * -1 with err naming the file and what does not match. NULL paths are skipped. */
int emu_image_use_files(struct emu_image *img, const char *kernel, const char *roottask,
                        const char *dtb, char *err, size_t errlen);

/* Physical address of the kernel's entry point (the entry VA translated by
 * the segment that contains it); 0 if no kernel is known. */
uint64_t emu_image_kernel_entry_pa(const struct emu_image *img);

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
