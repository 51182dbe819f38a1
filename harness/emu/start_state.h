/* A CPU state captured at a real firmware's jump to the image (gdb at
 * U-Boot's booti, bootcheck.board.uboot), to start the emulated run from instead of
 * reset. The file has one `name value` pair per line (values in C notation):
 *   el 1|2, x0..x3, sctlr tcr mair ttbr0 vbar (of that EL), cpacr_el1,
 *   hcr_el2 cptr_el2 (EL2 only), daif (PSTATE bits 9:6 in place), and
 *   dtb PATH: the blob x0 pointed at, placed there again.
 * Unlisted registers keep their reset values. */
#ifndef EMU_START_STATE_H
#define EMU_START_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"

enum start_reg {
    START_X0, START_X1, START_X2, START_X3, START_SCTLR, START_TCR, START_MAIR, START_TTBR0,
    START_VBAR, START_CPACR_EL1, START_HCR_EL2, START_CPTR_EL2, START_DAIF, START_NREGS
};

struct emu_start_state {
    unsigned el;
    uint64_t value[START_NREGS];
    int given[START_NREGS];
    char dtb_path[4096];         /* "" when none was captured */
};

/* Reads the file; -1 with one sentence in err on anything unreadable. */
int emu_start_state_read(const char *path, struct emu_start_state *s, char *err, size_t errlen);

/* Writes the captured registers into a machine already reset at s->el.
 * Refuses a state with the MMU on: the firmware's page tables are not in
 * the emulated RAM. */
int emu_start_state_apply(struct emu_machine *m, const struct emu_start_state *s, char *err,
                          size_t errlen);

#endif
