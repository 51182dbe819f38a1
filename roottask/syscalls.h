/* The handful of seL4 system calls the root task uses, written directly
 * against the AArch64 ABI (svc #0, syscall number in x7, arguments and
 * results in x0..x5); there is no libsel4 here. */
#ifndef ROOTTASK_SYSCALLS_H
#define ROOTTASK_SYSCALLS_H

#include "sel4_abi.h"

/* Writes one character to the kernel console (needs a KernelPrinting build). */
void sys_debug_put_char(char c);

/* Returns the kernel's cap_tag for the capability in root CNode slot cptr
 * (0 = null cap / empty slot). */
seL4_Word sys_debug_cap_identify(seL4_Word cptr);

/* Gives up the rest of this time slice; returns when scheduled again. */
void sys_yield(void);

/* Stops the whole system; on real seL4 it does not return. */
void sys_debug_halt(void);

/* A message in registers: the tag (seL4_MessageInfo), MR0..MR3 (x2..x5)
 * and, on receive, the badge (x0). MR4 onwards live in the IPC buffer. */
struct sys_message {
    seL4_Word info;
    seL4_Word mr[SEL4_FAST_MESSAGE_REGISTERS];
    seL4_Word badge;
};

/* seL4_Call on cptr: the reply replaces *msg (label = error code). */
void sys_call(seL4_Word cptr, struct sys_message *msg);

/* seL4_Send on cptr: blocks until an endpoint's receiver takes it. */
void sys_send(seL4_Word cptr, const struct sys_message *msg);

/* seL4_Recv on cptr: blocks until a message arrives; fills *msg. */
void sys_recv(seL4_Word cptr, struct sys_message *msg);

#endif
