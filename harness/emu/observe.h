/* Observations for seL4's contract: what the loader actually left at the
 * kernel entry, measured against the kernel and root-task ELF files and the
 * registers the loader handed over, never against our placement plan. They
 * go to the JSON report ("observations"); bootcheck.check.contract judges them, the
 * same rules it applies to what gdb sees in QEMU, so a foreign loader that
 * places things elsewhere but honours the contract passes. */
#ifndef EMU_OBSERVE_H
#define EMU_OBSERVE_H

#include <stdio.h>

#include "checks.h"

/* Writes `"observations": {...}` (no trailing comma) to f. */
void emu_observe_json(FILE *f, const struct emu_ctx *x);

#endif
