/* A spawner's whole job: create the registry objects it owns, spawn its
 * children, then supervise them on its endpoint (hello, done, faults)
 * until every one has ended. Used by the root task and by system_init. */
#ifndef ROOTTASK_RUN_COMPONENTS_H
#define ROOTTASK_RUN_COMPONENTS_H

#include <stdbool.h>

#include "sel4_abi.h"

/* The spawner must be initialised (spawn_init_root / spawn_init_delegated).
 * Returns true when every child (and every child's child) ended well;
 * otherwise components_failure() names the first failure. */
bool run_components(void);

const char *components_failure(void);

/* How a component of the registry ended, as far as this spawner knows:
 * only one that reported done with status 0 (itself to its parent, and a
 * grandchild through its parent's done message) is OUTCOME_OK. */
enum outcome {
    OUTCOME_NOT_RUN,     /* never started: not spawned (an earlier spawn failed, or its parent never ran) */
    OUTCOME_OK,          /* reported done, status 0 */
    OUTCOME_FAILED,      /* its spawn failed, it faulted, or it reported a failure */
    OUTCOME_NO_REPORT,   /* may have run, but its parent ended without saying how it ended */
};
enum outcome components_outcome(unsigned index);
const char *outcome_name(enum outcome o);

/* Bit masks of registry indices with OUTCOME_FAILED / OUTCOME_OK. */
seL4_Word components_failed_mask(void);
seL4_Word components_ok_mask(void);

#endif
