/* What a component started by the root task can rely on: its address-space
 * layout, its registers at entry, its CSpace, and the one message it sends
 * to say it runs. Shared by the root task (spawn.c, main.c), the
 * components (component_rt/) and, through the constants, the tests. */
#ifndef ROOTTASK_COMPONENT_ABI_H
#define ROOTTASK_COMPONENT_ABI_H

/* Components link at or above COMPONENT_IMAGE_BASE and below the stack (far
 * above, at 256 GiB, so large images fit; below the hyp build's 1 TiB). */
#define COMPONENT_IMAGE_BASE     0x10000000
/* Stack: COMPONENT_STACK_PAGES pages ending at COMPONENT_STACK_TOP; one
 * unmapped guard page above it, then the IPC buffer page. */
#define COMPONENT_STACK_TOP      0x4000000000ull
#define COMPONENT_STACK_PAGES    4
#define COMPONENT_IPC_BUFFER     0x4000001000ull
/* Priority below the root task's 255, so the root task keeps the CPU until
 * it waits for the components' messages. */
#define COMPONENT_PRIORITY       254

/* CSpace: one CNode of 2^COMPONENT_CNODE_BITS slots, with a guard that makes
 * a cptr simply the slot number at depth 64 (as in the root CNode). The caps
 * the manifest lists fill slots 1, 2, ... in manifest order. */
#define COMPONENT_CNODE_BITS     4
#define COMPONENT_FIRST_CAP_SLOT 1

/* Entry registers: x0 = slot of the endpoint cap (0 if it has none),
 * x1 = IPC buffer address, sp = COMPONENT_STACK_TOP, pc = ELF entry. */

/* The "I am running" message: this label, HELLO_LENGTH words, word i being
 * HELLO_WORD(i). Six words, so MR4 and MR5 travel in the IPC buffers. */
#define HELLO_LABEL              0x5a1
#define HELLO_LENGTH             6
#define HELLO_WORD(i)            (0x48454c4c4f000000ull + (unsigned long long)(i))

/* Badge of component i of the registry: never 0 (0 means unbadged). */
#define COMPONENT_BADGE(i)       (0xb000ull + (unsigned long long)(i))

#endif
