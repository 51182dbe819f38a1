/* Starting components from their embedded ELFs: objects retyped from the
 * spawner's untypeds, each child's own VSpace, CNode and TCB, the ELF loaded
 * frame by frame, stack and IPC buffer, the registry objects it shares with
 * its siblings, exactly the caps its manifest entry grants, and the thread
 * resumed. The same code runs in the root task (spawning from the BootInfo)
 * and in a component the root task delegated to (system_init, spawning from
 * the untyped and caps it was given). */
#ifndef ROOTTASK_SPAWN_H
#define ROOTTASK_SPAWN_H

#include <stdbool.h>

#include "components.h"
#include "sel4_abi.h"

/* The root task: BootInfo untypeds and slots, its own CNode/VSpace/ASID
 * pool, and its image's frame caps (to map the registry into children that
 * spawn). Returns false with spawn_failure() set. */
bool spawn_init_root(const seL4_BootInfo *bi, const struct registry *reg);

/* A delegated spawner: registry index `self`, the caps its parent gave it
 * (cptrs in its own CSpace), the untyped's size, the first free slot of its
 * CNode of 2^cnode_bits slots. It makes its own endpoint for its children. */
struct delegation {
    unsigned self;
    seL4_Word tcb, cnode, vspace, untyped, asid_pool, sched_control;
    unsigned memory_bits, cnode_bits;
    seL4_Word first_free_slot, num_nodes;
};
bool spawn_init_delegated(const struct registry *reg, const struct delegation *d);

/* The spawner's endpoint: its children's slot-1 caps are badged copies. */
seL4_Word spawn_endpoint(void);

/* Creates the registry objects this spawner owns (before any child). */
bool spawn_objects(void);

/* Spawns registry.components[index] (a child of this spawner) with badge
 * COMPONENT_BADGE(index). Prints spawn.<name>.* facts. Returns false with
 * spawn_failure() set. */
bool spawn_component(unsigned index);

/* Is registry component `index` a child of this spawner? */
bool spawn_is_child(unsigned index);

/* Why the last spawn step failed ("spawn <name>: <reason>"). */
const char *spawn_failure(void);

#endif
