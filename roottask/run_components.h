/* A spawner's whole job: create the registry objects it owns, spawn its
 * children, then supervise them on its endpoint (hello, done, faults)
 * until every one has ended. Used by the root task and by system_init. */
#ifndef ROOTTASK_RUN_COMPONENTS_H
#define ROOTTASK_RUN_COMPONENTS_H

#include <stdbool.h>

#include "sel4_abi.h"

/* The spawner must be initialised (spawn_init_root / spawn_init_delegated).
 * Returns true when every child (and every child's child) ended well;
 * otherwise components_failure() names the first failure and
 * components_failed_mask() has a bit per failed registry index. */
bool run_components(void);

const char *components_failure(void);
seL4_Word components_failed_mask(void);

#endif
