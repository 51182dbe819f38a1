/* The root CNode: 4096 slots of 32 bytes in the root-server CNode object.
 * The stand-in implements no capability operations; a slot only records
 * which kind of cap seL4 would have put there (its cap_tag) and the object,
 * which is all DebugCapIdentify and the BootInfo slot regions need. */
#ifndef STANDIN_CSPACE_H
#define STANDIN_CSPACE_H

#include <stdint.h>

#include "sel4_abi.h"

#define ROOT_CNODE_SLOTS (1u << SEL4_ROOT_CNODE_SIZE_BITS)

/* Binds the slot table to the (zeroed) CNode object and sets the first free
 * slot to seL4_NumInitialCaps. */
void cspace_init(uint64_t cnode_kptr);

/* Fills one of the fixed initial slots (1..15). */
void cspace_set_initial(unsigned slot, unsigned cap_tag, uint64_t object);

/* Puts a cap into the next free slot and returns the slot, or prints seL4's
 * "can't add another cap" error and returns 0 when the CNode is full. */
unsigned cspace_append(unsigned cap_tag, uint64_t object);

/* The first slot not yet used: where BootInfo.empty starts. */
unsigned cspace_first_free(void);

/* cap_tag of the cap a cptr names (root CNode, depth 64), 0 for none. */
unsigned cspace_identify(uint64_t cptr);

#endif
