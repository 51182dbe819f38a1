/* The DTB QEMU's virt board writes at the start of RAM for an ELF -kernel
 * whose lowest load address is at least 1 MiB into RAM. The blob comes from
 * `qemu-system-aarch64 -machine virt[,virtualization=on],dumpdtb=FILE`
 * (emu.mk makes one per starting EL, as the boards differ: GIC, PSCI
 * conduit); its /memory node is set to the emulated RAM size. */
#ifndef EMU_QEMU_DTB_H
#define EMU_QEMU_DTB_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"

#define QEMU_DTB_MIN_IMAGE_OFFSET 0x100000u  /* image must start >= RAM + 1 MiB */

struct emu_qemu_dtb {
    const char *source;         /* "QEMU", or "x0 (previous stage)" (the loader's words) */
    int placed;                 /* QEMU would have written it (image high enough) */
    uint64_t addr, size;        /* where, and its totalsize as written */
    uint64_t used;              /* bytes up to the end of its last block; free space follows */
    uint64_t packed_size;       /* totalsize after fdt_pack, as a loader packs it */
    void *blob;
};

/* Reads the blob at path, sets /memory to the machine's RAM and decides
 * whether QEMU would place it. Returns -1 with err on an unusable blob. */
int emu_qemu_dtb_prepare(const struct emu_machine *m, const char *path, uint64_t image_lowest_paddr,
                         struct emu_qemu_dtb *out, char *err, size_t errlen);
/* A DTB a previous stage (firmware) passed in x0, captured at its jump
 * (bootcheck.board.uboot): placed at addr as it was, /memory untouched. */
int emu_x0_dtb_prepare(const struct emu_machine *m, const char *path, uint64_t addr,
                       struct emu_qemu_dtb *out, char *err, size_t errlen);
/* Writes it to RAM if QEMU (or the previous stage) would have. */
void emu_qemu_dtb_write(struct emu_machine *m, const struct emu_qemu_dtb *d);
void emu_qemu_dtb_free(struct emu_qemu_dtb *d);

#endif
