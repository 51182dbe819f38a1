/* After the hand-off checks: spawn every registry component whose parent is
 * the root task, then wait for each one's hello message and check it. */
#ifndef ROOTTASK_RUN_COMPONENTS_H
#define ROOTTASK_RUN_COMPONENTS_H

#include <stdbool.h>

#include "sel4_abi.h"

/* Returns false with components_failure() saying what went wrong. */
bool run_components(const seL4_BootInfo *bi);

const char *components_failure(void);

#endif
