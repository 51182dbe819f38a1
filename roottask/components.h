/* The component registry: generated at build time from components.toml by
 * gen_components.py (components_gen.c, components_gen.S embed the ELFs). */
#ifndef ROOTTASK_COMPONENTS_H
#define ROOTTASK_COMPONENTS_H

#include <stddef.h>
#include <stdint.h>

/* Caps a component can be given, placed in its CNode in manifest order. */
enum component_cap {
    COMPONENT_CAP_ENDPOINT,   /* the root task's endpoint, badged for this component */
    COMPONENT_CAP_TCB,        /* its own TCB */
    COMPONENT_CAP_CNODE,      /* its own CNode */
    COMPONENT_CAP_VSPACE,     /* its own VSpace */
};

#define COMPONENT_MAX_CAPS 8

struct component {
    const char *name;
    const char *parent;       /* "roottask": spawned by the root task */
    const uint8_t *elf, *elf_end;   /* the embedded ELF file */
    unsigned n_caps;
    uint8_t caps[COMPONENT_MAX_CAPS];   /* enum component_cap */
};

extern const struct component components[];
extern const unsigned n_components;

#endif
