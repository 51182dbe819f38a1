/* What every component gets from the runtime: its start registers, console
 * lines, the check that its CSpace holds exactly what it was granted, and
 * the hello and done messages its parent waits for (component_abi.h). */
#ifndef COMPONENT_RT_H
#define COMPONENT_RT_H

#include <stdbool.h>

#include "sel4_abi.h"

/* x0..x8 at entry, in component_abi.h's order. */
struct component_start {
    seL4_Word parent_slot, ipc_buffer, granted_slots, granted_tags;
    seL4_Word cnode_bits, num_nodes, registry, index;
    seL4_Word abi;
};
_Static_assert(__builtin_offsetof(struct component_start, abi) == 64, "crt0.S stores x8 at 64");

extern struct component_start component_start;

/* Each component's name (its lines start with "<name>: "), defined by it. */
extern const char component_name[];

/* Writes a string to the kernel console (DebugPutChar). */
void component_print(const char *s);

/* Each component's own work, called after the cap check and the hello
 * message. Returns 0 on success, else a code its parent reports. */
int component_main(const struct component_start *start);

/* Called by crt0.S: cap check, hello, component_main, done. */
void component_rt_main(const struct component_start *start) __attribute__((noreturn));

/* The done message (component_abi.h): word 0 = status, words 1 and 2 = the
 * masks of failed children and of children done well (spawning components
 * only). Does not return. */
void component_done(seL4_Word status, seL4_Word failed_children, seL4_Word ok_children)
    __attribute__((noreturn));

#endif
