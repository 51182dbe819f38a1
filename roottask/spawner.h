/* The spawner's state, shared by spawn.c (any spawner) and spawn_root.c (the
 * root task's start-up of it); not for other users. */
#ifndef ROOTTASK_SPAWNER_H
#define ROOTTASK_SPAWNER_H

#include <stdbool.h>

#include "components.h"
#include "sel4_abi.h"

#define SPAWN_MAX_OBJECTS 32

struct spawner {
    const struct registry *reg;
    unsigned self;                          /* registry index, or REGISTRY_OWNER_ROOT */
    seL4_Word cnode, vspace, asid_pool;     /* its own caps (cptrs in its CSpace) */
    seL4_Word tcb;                          /* its own TCB: authority for priorities */
    seL4_Word sched_control;                /* MCS: SchedControl for its children's SCs (0: none) */
    seL4_Word endpoint;                     /* its children's slot 1 derives from it */
    seL4_Word window;                       /* next free page of its copy window */
    /* Root task only (0 otherwise): its image's frame caps, to map the
     * registry into a child that spawns. */
    seL4_Word image_base, image_frames, registry_base, registry_limit;
    seL4_Word object_slot[SPAWN_MAX_OBJECTS];   /* registry objects it created */
};

extern struct spawner spawner;

/* Finishes initialisation once the allocators are set: makes the endpoint. */
bool spawn_make_endpoint(void);

#endif
