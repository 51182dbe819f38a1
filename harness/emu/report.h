/* The result of one emu-check run, as text for people and as JSON for the
 * pytest driver and the benchmark. */
#ifndef EMU_REPORT_H
#define EMU_REPORT_H

#include <stdio.h>

#include "checks.h"

struct emu_report {
    const char *image;
    unsigned el;
    uint64_t ram_mib, budget;
    const struct emu_machine *m;
    const struct emu_run *run;
    const struct emu_expected *exp;
    const struct emu_entry_state *entry;   /* NULL unless the kernel entry was reached */
    const struct emu_check *checks;
    const struct emu_ctx *ctx;             /* for the contract observations */
    const char *started_from;              /* NULL: reset; else the --start-state file */
};

void emu_report_text(FILE *f, const struct emu_report *r);
int emu_report_json(const char *path, const struct emu_report *r);

#endif
