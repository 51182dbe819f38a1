/* What a component can rely on from the parent that spawns it (the root task
 * or a component holding the caps to spawn, such as system_init): its
 * address-space layout, its registers at entry, its CSpace, and the
 * messages it sends its parent. Shared by the spawn code (spawn.c,
 * supervise.c), the components (component_rt/) and, through the
 * constants, the tests. */
#ifndef ROOTTASK_COMPONENT_ABI_H
#define ROOTTASK_COMPONENT_ABI_H

/* Components link at or above COMPONENT_IMAGE_BASE and below the stack (far
 * above, at 256 GiB, so large images fit; below the hyp build's 1 TiB). */
#define COMPONENT_IMAGE_BASE     0x10000000
/* Stack: COMPONENT_STACK_PAGES pages ending at COMPONENT_STACK_TOP; one
 * unmapped guard page above it, then the IPC buffer page; the manifest's
 * frames, one page each, in order, from COMPONENT_FRAME_BASE up. riscv64
 * (Sv39) ends user addresses at seL4_UserTop 0x3ffffff000, so there they
 * sit at 252 GiB instead of 256 GiB. */
#define COMPONENT_STACK_PAGES    4
#if defined(__riscv)
#define COMPONENT_STACK_TOP      (0x3f00000000ull)
#define COMPONENT_IPC_BUFFER     (0x3f00001000ull)
#define COMPONENT_FRAME_BASE     (0x3f00100000ull)
#else
#define COMPONENT_STACK_TOP      0x4000000000ull
#define COMPONENT_IPC_BUFFER     0x4000001000ull
#define COMPONENT_FRAME_BASE     0x4000100000ull
#endif
/* Priority below the root task's 255, so the root task keeps the CPU until
 * it waits for the components' messages (the manifest's default for the
 * root task's children; gen_components.py). */
#define COMPONENT_PRIORITY       254

/* CSpace: one CNode of 2^cnode_bits slots (manifest; default 4), with a
 * guard that makes a cptr simply the slot number at depth 64 (as in the root
 * CNode). Slot 0 is empty; slot 1 holds the parent's endpoint (write and
 * grant-reply, badged COMPONENT_BADGE(registry index)): the hello and done
 * messages go there, and it is the thread's fault endpoint, so the kernel
 * reports the component's faults to its parent with the same badge. The
 * manifest's caps fill slots 2, 3, ...; every other slot is empty. */
#define COMPONENT_PARENT_SLOT    1
#define COMPONENT_FIRST_CAP_SLOT 2
#define COMPONENT_DEFAULT_CNODE_BITS 4

/* Entry registers:
 *   x0 = COMPONENT_PARENT_SLOT           x1 = IPC buffer address
 *   x2 = slots granted (1 + manifest caps: slots 1..x2 may hold caps; an
 *        MCS-only cap's slot is empty on a non-MCS kernel, tag 0)
 *   x3 = their cap tags (seL4's cap_tag, 5 bits each: slot s at bit 5*(s-1))
 *   x4 = cnode_bits                      x5 = numNodes of the kernel
 *   x6 = the registry's address if the component has children, else 0
 *   x7 = the component's index in the registry
 *   x8 = the kernel's ABI as the root task found it (sel4_abi_word(); the
 *        component sets it before its first syscall and never probes)
 *   sp = COMPONENT_STACK_TOP, pc = ELF entry.
 * riscv64: x0..x7 are a0..a7 and x8 is s0 (RISC-V's register x8). */
#define COMPONENT_START_REGISTERS 9
#define COMPONENT_TAG_BITS       5

/* Messages to the parent, on slot 1:
 * "I am running": label HELLO_LABEL, HELLO_LENGTH words, word i being
 * HELLO_WORD(i) (six words, so MR4 and MR5 travel in the IPC buffers).
 * "I am done": a seL4_Call with label DONE_LABEL, DONE_LENGTH words:
 * word 0 = 0 if the component's work succeeded, else a non-zero code; a
 * parent with children adds, as bit masks of registry indices, word 1 = its
 * children that failed and word 2 = those that reported done with status 0
 * (a child in neither never ran). The parent never answers: the component
 * stays blocked for good (MCS: the parent receives without a Reply object,
 * so the kernel leaves the caller inactive), its end. */
#define HELLO_LABEL              0x5a1
#define HELLO_LENGTH             6
#define HELLO_WORD(i)            (0x48454c4c4f000000ull + (unsigned long long)(i))
#define DONE_LABEL               0x5a2
#define DONE_LENGTH              3

/* Badge of component i of the registry: never 0 (0 means unbadged). */
#define COMPONENT_BADGE(i)       (0xb000ull + (unsigned long long)(i))

#endif
