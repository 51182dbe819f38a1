/* A capability as the stand-in stores it in a 32-byte CNode slot. seL4
 * packs its caps into two words with bitfields; the stand-in keeps the
 * fields it needs unpacked, which is all a user thread can observe (the
 * slot layout is kernel-internal). Objects are named by physical address. */
#ifndef STANDIN_CAP_H
#define STANDIN_CAP_H

#include <stdint.h>

#include "sel4_abi.h"

/* Cap tags of the MCS objects (seL4's cap_sched_context_cap and
 * cap_sched_control_cap, structures.bf); DebugCapIdentify returns them. */
#define CAP_TAG_SCHED_CONTEXT  22
#define CAP_TAG_SCHED_CONTROL  24

/* struct cap.flags */
#define CAP_DEVICE        1u   /* untyped or frame over device memory */
#define CAP_MAPPED        2u   /* frame / page table: installed in a VSpace; vspace: has an ASID */
#define CAP_HAS_CHILDREN  4u   /* untyped: objects were retyped from it */

struct cap {
    uint8_t tag;          /* SEL4_CAP_TAG_*; 0 = empty slot */
    uint8_t size_bits;    /* untyped: block size; cnode: radix; frame: page size */
    uint8_t rights;       /* SEL4_CAN_* bits */
    uint8_t flags;        /* CAP_* */
    uint16_t asid;        /* frame / page table / vspace: ASID it is mapped under */
    uint8_t guard_size;   /* cnode */
    uint8_t level;        /* page table: level its entries translate (1..3) once mapped */
    uint64_t object;      /* physical address of the object; sched control: its core */
    union {
        uint64_t watermark;     /* untyped: bytes from the start already handed out */
        uint64_t mapped_vaddr;  /* frame / page table: where it is mapped */
        uint64_t badge;         /* endpoint */
        uint64_t guard;         /* cnode */
    };
    uint64_t reserved;    /* pads the slot to seL4's 32 bytes */
};
_Static_assert(sizeof(struct cap) == 32, "a CNode slot is 2^5 bytes");

static inline int cap_is_null(const struct cap *c)
{
    return c->tag == SEL4_CAP_TAG_NULL;
}

/* Endpoint rights, reply caps' Grant: SEL4_CAN_* bits in .rights. A
 * SchedContext cap's size_bits is the object's size (seL4 keeps it in the
 * cap: it bounds the refills). */

/* The kind of cap seL4 puts in a fresh slot for each object. */
static inline struct cap cap_make(unsigned tag, uint64_t object, unsigned size_bits)
{
    return (struct cap){ .tag = (uint8_t)tag, .object = object, .size_bits = (uint8_t)size_bits,
                         .rights = SEL4_ALL_RIGHTS };
}

#endif
