/* CNodes: the root CNode the boot code fills, and capability-address
 * resolution (guards, radix, depth) for every CNode, as seL4 resolves it. */
#ifndef STANDIN_CSPACE_H
#define STANDIN_CSPACE_H

#include <stdint.h>

#include "cap.h"
#include "sel4_abi.h"

#define ROOT_CNODE_SLOTS (1u << SEL4_ROOT_CNODE_SIZE_BITS)

/* Binds the slot table to the (zeroed) root CNode object (kernel pointer)
 * and sets the first free slot to seL4_NumInitialCaps. */
void cspace_init(uint64_t cnode_kptr);

/* The root CNode's own cap: radix 12 behind a 52-bit zero guard. */
struct cap cspace_root_cnode_cap(void);

/* Fills one of the fixed initial slots (1..15). */
void cspace_set_initial(unsigned slot, struct cap cap);

/* Puts a cap into the next free slot and returns the slot, or prints seL4's
 * "can't add another cap" error and returns 0 when the CNode is full. */
unsigned cspace_append(struct cap cap);

/* The first slot not yet used: where BootInfo.empty starts. */
unsigned cspace_first_free(void);

/* The slots of a CNode cap's object. */
struct cap *cnode_slots(const struct cap *cnode);

/* Why an address named no slot: seL4's lookup_fault, which a cap fault
 * message carries (type + 1 in MR3, then the fields below). */
enum lookup_fault_type {
    LOOKUP_INVALID_ROOT,
    LOOKUP_MISSING_CAPABILITY,
    LOOKUP_DEPTH_MISMATCH,
    LOOKUP_GUARD_MISMATCH,
};
struct lookup_fault {
    uint8_t type;          /* enum lookup_fault_type */
    uint8_t bits_left;     /* all but invalid root */
    uint8_t bits_found;    /* depth mismatch: bits the level needed; guard: its size */
    uint64_t guard_found;  /* guard mismatch: the CNode's guard */
};

/* seL4's current_lookup_fault: why the last failed lookup failed. Like
 * seL4's, it is set by every failed lookup and by the checks that report a
 * lookup failure on their own (e.g. an empty source slot), and only read
 * where seL4 reads it (a FailedLookup error reply, a cap fault), so a stale
 * value is seL4's stale value. */
extern struct lookup_fault current_lookup_fault;

/* Walks `depth` bits of cptr from `root` (seL4's resolveAddressBits).
 * Returns the slot reached, or 0 on a bad root, guard or depth mismatch,
 * described in *why when why is not 0. *bits_left says how many of the
 * depth bits were not consumed (a non-CNode cap ended the walk early). */
struct cap *cspace_resolve(const struct cap *root, uint64_t cptr, unsigned depth,
                           unsigned *bits_left, struct lookup_fault *why);

/* The slot a thread's cptr names in its CSpace (seL4's lookupSlot: all 64
 * bits, a non-CNode cap may end the walk early), or 0 with *why set. */
struct cap *cspace_lookup(const struct cap *cspace_root, uint64_t cptr, struct lookup_fault *why);

/* A slot named by (index, depth) in a CNode-invocation argument (seL4's
 * lookupSlotForCNodeOp). Returns 0 and sets *error to seL4's code
 * (FailedLookup, with current_lookup_fault saying why, or RangeError) when it
 * names no slot exactly. */
struct cap *cspace_lookup_target(const struct cap *root, uint64_t index, uint64_t depth,
                                 unsigned *error);

#endif
