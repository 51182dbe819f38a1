/* Starting a component from its embedded ELF: objects retyped from the
 * BootInfo untypeds, its own VSpace, CNode and TCB, the ELF loaded frame by
 * frame, stack and IPC buffer, its caps, and the thread resumed. */
#ifndef ROOTTASK_SPAWN_H
#define ROOTTASK_SPAWN_H

#include <stdbool.h>

#include "components.h"
#include "sel4_abi.h"

/* Sets up what every spawn needs (the root task's endpoint, the frame
 * copy window). Returns false with spawn_failure() set. */
bool spawn_init(const seL4_BootInfo *bi);

/* The root task's endpoint slot: the components' badged caps derive from it. */
seL4_Word spawn_endpoint(void);

/* Spawns components[index] with badge COMPONENT_BADGE(index). Prints
 * spawn.<name>.* facts. Returns false with spawn_failure() set. */
bool spawn_component(unsigned index);

/* Why the last spawn step failed ("spawn <name>: <reason>"). */
const char *spawn_failure(void);

#endif
