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

/* seL4_Reply: answers the last Call this thread received (the kernel keeps
 * the reply capability in the TCB; non-MCS). */
void sys_reply(const struct sys_message *msg);

/* seL4_ReplyRecv: seL4_Reply with *msg, then seL4_Recv on cptr into *msg. */
void sys_reply_recv(seL4_Word cptr, struct sys_message *msg);

/* seL4_NBSend: delivers only to a waiting receiver, else drops the message. */
void sys_nb_send(seL4_Word cptr, const struct sys_message *msg);

/* seL4_NBRecv: a waiting sender's message, or returns at once (info and
 * badge 0 when there was none). */
void sys_nb_recv(seL4_Word cptr, struct sys_message *msg);

/* Notifications: seL4_Signal ORs the cap's badge into the word; seL4_Wait
 * blocks until the word is non-zero and returns it (cleared); seL4_Poll is
 * the same without blocking (0 if none). */
void sys_signal(seL4_Word cptr);
seL4_Word sys_wait(seL4_Word cptr);
seL4_Word sys_poll(seL4_Word cptr);

#endif
