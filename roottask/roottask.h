/* The root task's groups of checks, run in this order by main.c. */
#ifndef ROOTTASK_H
#define ROOTTASK_H

#include <stdbool.h>

#include "entry_state.h"
#include "sel4_abi.h"

/* Reports and checks the registers captured at entry. Returns true when x0
 * is plausible enough (non-zero, page aligned) to read the BootInfo there. */
bool check_entry_state(const struct entry_state *entry);

/* Reports every BootInfo field, the untyped list, the extra bootinfo and the
 * DTB copy in it, and checks them against each other and the image layout. */
void check_bootinfo(const seL4_BootInfo *bi, seL4_Word bi_va);

/* Identifies the initial caps (slots 0..15) and one cap from each of the
 * BootInfo cap regions. bi may be NULL when the BootInfo is unusable. */
void check_caps(const seL4_BootInfo *bi);

#endif
