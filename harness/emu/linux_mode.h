/* emu-check for the Linux payload kind (loader/common/linux_image.h): runs
 * the loader until it enters the Image where its plan puts it, checks that
 * the Image and initrd are byte-exact there and that every store stayed in
 * the allowed-write map, and reports the entry state and the DTB at x0 for
 * the Linux contract (bootcheck.board.linux_contract) to judge. */
#ifndef EMU_LINUX_MODE_H
#define EMU_LINUX_MODE_H

#include <stdint.h>

#include "image.h"
#include "machine.h"
#include "qemu_dtb.h"

struct emu_linux_options {
    const char *image_path, *json_path;
    unsigned el;
    uint64_t ram_mib, budget;
};

/* The machine is loaded and reset (or started from a captured state); the
 * source DTB is prepared. Returns emu-check's exit status. */
int emu_linux_check(struct emu_machine *m, const struct emu_image *img, const struct emu_qemu_dtb *qdtb,
                    const struct emu_linux_options *o);

#endif
