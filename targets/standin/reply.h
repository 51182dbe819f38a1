/* MCS reply objects (seL4's reply_t, KernelIsMCS builds only). A receiver
 * names one in Recv (x6); a Call it receives links the caller to it (the
 * caller waits on it), and invoking the reply cap answers that caller. A
 * SchedContext donated through Calls remembers the stack of replies it was
 * lent through, so each reply gives it back one level down. */
#ifndef STANDIN_REPLY_H
#define STANDIN_REPLY_H

#include <stdint.h>

#include "thread.h"

struct sched_context;

/* The 32-byte reply object (seL4_ReplyBits 5). */
struct reply {
    struct tcb *tcb;          /* replyTCB: the caller waiting on it, or the receiver waiting with it */
    struct reply *prev;       /* the reply below in the call stack */
    void *next;               /* the reply above, or (next_is_head) the SchedContext */
    uint64_t next_is_head;
};

struct reply *reply_of_object(uint64_t paddr);

/* seL4's reply_unlink: the thread and the reply part; the thread stops
 * (its caller then sets the state it really gets). */
void reply_unlink(struct reply *reply, struct tcb *t);

/* seL4's reply_push: caller waits on reply for callee's answer, lending
 * callee its SchedContext when callee has none and can_donate. */
void reply_push(struct tcb *caller, struct tcb *callee, struct reply *reply, int can_donate);

/* seL4's reply_remove: the answered reply leaves the call stack (its
 * SchedContext goes back to the caller when it was lent through it). */
void reply_remove(struct reply *reply, struct tcb *t);

/* seL4's reply_remove_tcb: a caller stops waiting (cancelled IPC). */
void reply_remove_tcb(struct tcb *t);

/* The call stack above reply is cut (its SchedContext was unbound). */
void reply_cut_above(struct reply *reply);

#endif
