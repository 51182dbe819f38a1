/* Invocations: a Call or Send on a cap that is not an endpoint. The decoders
 * check arguments in seL4's order and return seL4's error code; the reply
 * carries it as the label, with seL4's detail words. */
#ifndef STANDIN_INVOCATION_H
#define STANDIN_INVOCATION_H

#include <stdint.h>

#include "cap.h"
#include "config.h"
#include "thread.h"

/* The number this kernel decodes for a single-core label (SEL4_LABEL_*): an
 * SMP build uses seL4's SMP numbering (sel4_abi.h). */
#define KERNEL_LABEL(single_core_label) SEL4_INVOCATION_LABEL(single_core_label, MAX_NUM_NODES)

struct invocation {
    struct tcb *caller;
    struct cap *slot;                      /* the invoked cap, in its CNode */
    uint64_t label, length;
    struct cap *extra[SEL4_MSG_MAX_EXTRA_CAPS];   /* looked-up extra caps; 0 = absent */
    uint64_t error_mr[2];                  /* detail words of an error reply */
    unsigned error_length;
};

/* Message register i of the invocation (x2..x5, then the IPC buffer). */
uint64_t inv_arg(const struct invocation *inv, unsigned i);

/* Records seL4's detail words for the error being returned. */
unsigned inv_error(struct invocation *inv, unsigned code, unsigned n, uint64_t mr0, uint64_t mr1);

/* The caller's IPC buffer (kernel pointer) or 0 when it has none. */
seL4_IPCBuffer *thread_ipc_buffer(const struct tcb *t);

/* Decodes and performs one invocation; returns an seL4 error code. */
unsigned decode_invocation(struct invocation *inv);

/* Per-object decoders (one file each). */
unsigned decode_untyped(struct invocation *inv);
unsigned decode_cnode(struct invocation *inv);
unsigned decode_tcb(struct invocation *inv);
unsigned decode_frame(struct invocation *inv);
unsigned decode_page_table(struct invocation *inv);
unsigned decode_asid_pool(struct invocation *inv);

#endif
