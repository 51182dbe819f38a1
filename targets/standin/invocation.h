/* Invocations: a Call or Send on a cap that is not an endpoint. The decoders
 * check arguments in seL4's order and return seL4's error code; the reply
 * carries it as the label, with seL4's detail words. */
#ifndef STANDIN_INVOCATION_H
#define STANDIN_INVOCATION_H

#include <stdint.h>

#include "abi.h"
#include "cap.h"
#include "config.h"
#include "thread.h"

/* The most detail words an error reply has (FailedLookup: the source flag
 * and a guard-mismatch lookup failure). */
#define ERROR_MAX_WORDS 5

struct invocation {
    struct tcb *caller;
    struct cap *slot;                      /* the invoked cap, in its CNode */
    uint64_t label, length;
    enum sel4_method method;                    /* what the label names on this kernel */
    int first_phase;                       /* MCS: the send phase of ReplyRecv and friends */
    struct cap *extra[SEL4_MSG_MAX_EXTRA_CAPS];   /* looked-up extra caps; 0 = absent */
    /* A successful invocation whose Call reply carries words (TCB_SetFlags):
     * the words; else the reply is empty. */
    unsigned reply_length;
    uint64_t reply[1];
};

/* seL4's current_syscall_error: the last error an invocation returned, with
 * its detail words. Like seL4's, it keeps its value until the next error. */
struct syscall_error {
    unsigned code;
    unsigned length;
    uint64_t mr[ERROR_MAX_WORDS];
};
extern struct syscall_error current_syscall_error;

/* Message register i of the invocation (x2..x5, then the IPC buffer). */
uint64_t inv_arg(const struct invocation *inv, unsigned i);

/* Records an error with n detail words (seL4's current_syscall_error) and
 * returns its code. */
unsigned inv_error(struct invocation *inv, unsigned code, unsigned n, uint64_t mr0, uint64_t mr1);

/* seL4_FailedLookup: MR0 says whether the source slot failed, then the
 * words of current_lookup_fault. */
unsigned inv_lookup_error(struct invocation *inv, int was_source);

/* An error path on which seL4 returns without setting an error: the reply
 * repeats whatever current_syscall_error still holds. */
unsigned inv_error_unset(struct invocation *inv);

/* The caller's IPC buffer (kernel pointer) or 0 when it has none. */
seL4_IPCBuffer *thread_ipc_buffer(const struct tcb *t);

/* Decodes and performs one invocation; returns an seL4 error code. */
unsigned decode_invocation(struct invocation *inv);

/* seL4's updateCapData (not preserving) and deriveCap (inv_cnode.c):
 * derive_cap returns an error code and may give a null cap. */
struct cap update_cap_data(struct cap c, uint64_t data);
unsigned derive_cap(const struct cap *src, struct cap *out);

/* Per-object decoders (one file each). */
unsigned decode_untyped(struct invocation *inv);
unsigned decode_cnode(struct invocation *inv);
unsigned decode_tcb(struct invocation *inv);
unsigned decode_frame(struct invocation *inv);
unsigned decode_page_table(struct invocation *inv);
unsigned decode_asid_pool(struct invocation *inv);
unsigned decode_domain(struct invocation *inv);
#if CONFIG_KERNEL_MCS
unsigned decode_sched_context(struct invocation *inv);
unsigned decode_sched_control(struct invocation *inv);
#endif

#endif
