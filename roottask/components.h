/* The component registry: generated at build time from components.toml by
 * gen_components.py. Everything it holds (this table, the names, the
 * embedded ELFs) lies in the root task's page-aligned .registry section, so
 * the root task can map exactly those pages, read-only and at the same
 * addresses, into a component that spawns components of its own
 * (system_init): the pointers below stay valid there. */
#ifndef ROOTTASK_COMPONENTS_H
#define ROOTTASK_COMPONENTS_H

#include <stddef.h>
#include <stdint.h>

#define COMPONENT_NAME_MAX  32
#define COMPONENT_MAX_CAPS  11   /* slots 2..12: with slot 1, 12 tags of 5 bits fit x3 */
#define COMPONENT_MAX_FRAMES 4
#define REGISTRY_ROOT_PARENT "roottask"

/* What a granted cap is (component_abi.h says where each lands). */
enum component_cap_kind {
    COMPONENT_CAP_TCB,        /* its own TCB */
    COMPONENT_CAP_CNODE,      /* its own CNode (with the guard of its CSpace) */
    COMPONENT_CAP_VSPACE,     /* its own VSpace */
    COMPONENT_CAP_UNTYPED,    /* an untyped of 2^memory_bits bytes for its children */
    COMPONENT_CAP_ASID_POOL,  /* the parent's ASID pool, to give children VSpaces */
    COMPONENT_CAP_OBJECT,     /* a registry object (endpoint, notification), minted */
    /* MCS kernels only; on a non-MCS kernel the slot stays empty. */
    COMPONENT_CAP_REPLY,      /* a Reply object of its own, to receive Calls it answers */
    COMPONENT_CAP_SCHED_CONTEXT,   /* the SchedContext its thread runs on */
    COMPONENT_CAP_SCHED_CONTROL,   /* the parent's SchedControl, to give children SchedContexts */
};

enum registry_object_type {
    REGISTRY_OBJECT_ENDPOINT,
    REGISTRY_OBJECT_NOTIFICATION,
    REGISTRY_OBJECT_FRAME,
};

/* An object the parent of its users creates before it spawns them. */
struct registry_object {
    char name[COMPONENT_NAME_MAX];
    uint8_t type;             /* enum registry_object_type */
    uint8_t owner;            /* registry index of the component that creates it;
                                 REGISTRY_OWNER_ROOT: the root task */
};
#define REGISTRY_OWNER_ROOT 0xff

struct component_cap {
    uint8_t kind;             /* enum component_cap_kind */
    uint8_t object;           /* COMPONENT_CAP_OBJECT: index into registry.objects */
    uint8_t rights;           /* seL4_CapRights word (SEL4_CAN_*) */
    uint64_t badge;           /* 0: unbadged */
};

/* A registry frame mapped into the component at COMPONENT_FRAME_BASE + k pages. */
struct component_frame {
    uint8_t object;
    uint8_t rights;           /* SEL4_CAN_READ, optionally | SEL4_CAN_WRITE */
};

struct component {
    char name[COMPONENT_NAME_MAX];
    uint8_t parent;           /* registry index, or REGISTRY_OWNER_ROOT */
    uint8_t cnode_bits;       /* its CNode has 2^cnode_bits slots */
    uint8_t memory_bits;      /* COMPONENT_CAP_UNTYPED's size */
    uint8_t priority;         /* its priority; a spawning component's MCP too */
    uint32_t budget_us, period_us;  /* MCS: its SchedContext's budget every period */
    const uint8_t *elf, *elf_end;   /* the embedded ELF file */
    unsigned n_caps;
    struct component_cap caps[COMPONENT_MAX_CAPS];
    unsigned n_frames;
    struct component_frame frames[COMPONENT_MAX_FRAMES];
};

struct registry {
    unsigned n_components, n_objects;
    const struct component *components;
    const struct registry_object *objects;
};

extern const struct registry registry;
extern const uint8_t registry_start[], registry_end[];   /* the section, page aligned */

#endif
