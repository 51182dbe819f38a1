/* The seL4 system calls the root task and its components use, written
 * directly against the architecture's trap (arch/<arch>/trap.h: AArch64
 * svc #0 with x0..x7, riscv64 ecall with a0..a7); there is no libsel4 here. Every number
 * comes from the running kernel's ABI (kernel_abi.h): MCS kernels number
 * their syscalls differently and receive Calls into Reply objects. */
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

/* A message in registers: the tag (seL4_MessageInfo), MR0..MR3 (x2..x5 /
 * a2..a5) and, on receive, the badge (x0 / a0). MR4 onwards live in the IPC buffer. */
struct sys_message {
    seL4_Word info;
    seL4_Word mr[SEL4_FAST_MESSAGE_REGISTERS];
    seL4_Word badge;
};

/* seL4_Call on cptr: the reply replaces *msg (label = error code). */
void sys_call(seL4_Word cptr, struct sys_message *msg);

/* seL4_Send on cptr: blocks until an endpoint's receiver takes it. */
void sys_send(seL4_Word cptr, const struct sys_message *msg);

/* seL4_NBSend: delivers only to a waiting receiver, else drops the message. */
void sys_nb_send(seL4_Word cptr, const struct sys_message *msg);

/* Receiving a message that will not be answered: seL4_Recv on a non-MCS
 * kernel, seL4_Wait (no Reply object) on MCS, where a Call received this way
 * leaves its caller inactive for good. Blocks until a message arrives. */
void sys_recv(seL4_Word cptr, struct sys_message *msg);

/* The same without blocking (seL4_NBRecv / seL4_NBWait): info and badge 0
 * when nothing was waiting. */
void sys_nb_recv(seL4_Word cptr, struct sys_message *msg);

/* Receiving Calls to answer. MCS: the Call's reply goes into the Reply
 * object `reply` (a cap in this thread's CSpace, passed in x6) and is
 * answered through it; non-MCS: the kernel keeps the reply capability in
 * the TCB and `reply` is not used. */
void sys_recv_call(seL4_Word cptr, seL4_Word reply, struct sys_message *msg);
/* Answers the last Call received (into `reply` on MCS: a Send on it; there
 * is no Reply syscall). */
void sys_reply_to(seL4_Word reply, const struct sys_message *msg);
/* Answers with *msg, then receives the next Call into *msg (ReplyRecv). */
void sys_reply_recv_call(seL4_Word cptr, seL4_Word reply, struct sys_message *msg);

/* Non-MCS forms of the three above (the reply cap kept in the TCB), for
 * code written for seL4 13.0.0 non-MCS only. */
void sys_reply(const struct sys_message *msg);
void sys_reply_recv(seL4_Word cptr, struct sys_message *msg);

/* Notifications: seL4_Signal ORs the cap's badge into the word; seL4_Wait
 * blocks until the word is non-zero and returns it (cleared); seL4_Poll is
 * the same without blocking (0 if none). */
void sys_signal(seL4_Word cptr);
seL4_Word sys_wait(seL4_Word cptr);
seL4_Word sys_poll(seL4_Word cptr);

#endif
