/* The thread control block and the saved user context.
 *
 * The register array comes first, in seL4's order for the architecture
 * (user_context.h), so the thread's next PC is at the same index on both
 * kernels and one GDB script serves both. The entry assembly uses the
 * REG_* offsets, hence the #ifndef __ASSEMBLER__ split. */
#ifndef STANDIN_THREAD_H
#define STANDIN_THREAD_H

#include "user_context.h"

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Room for "child of: 'child of: 'rootserver''" and a little more (seL4's
 * name field is longer; names longer than this are cut). */
#define TCB_NAME_LENGTH 64

#include "abi.h"
#include "cap.h"
#include "config.h"
#include "cspace.h"

enum thread_state {
    THREAD_INACTIVE,          /* created and not yet resumed, or stopped by a fault */
    THREAD_RUNNING,           /* runnable (or running) */
    THREAD_BLOCKED_ON_SEND,   /* in an endpoint's queue with a message (or a fault) */
    THREAD_BLOCKED_ON_RECV,   /* in an endpoint's queue waiting for one */
    THREAD_BLOCKED_ON_REPLY,  /* sent a Call (or a fault) and waits for the reply */
    THREAD_BLOCKED_ON_NOTIFICATION,   /* in a notification's queue (Wait) */
};

/* A fault being delivered (seL4_Fault_t); type FAULT_NULL = none. */
struct fault {
    uint8_t type;         /* enum fault_kind (abi.h) */
    uint8_t flag;         /* cap fault: in receive phase; VM fault: instruction fetch */
    uint64_t address;     /* cap fault: cptr; VM fault: address; unknown syscall: number;
                             user exception: ESR */
    uint64_t status;      /* VM fault: ESR (FSR); user exception: code */
};

/* What a thread blocked in an endpoint queue sends (seL4 keeps these in
 * the thread state). */
struct ipc_block {
    uint64_t badge;
    uint8_t can_grant, can_grant_reply, is_call;
    uint8_t can_donate;   /* MCS: a receiver without a SchedContext may run on the sender's */
};

/* A FIFO of blocked threads (queue.h). */
struct thread_queue {
    struct tcb *head, *tail;
};

struct sched_context;
struct reply;

struct tcb {
    uint64_t registers[REG_COUNT];
    uint8_t state;            /* enum thread_state */
    uint8_t priority, mcp;
    uint8_t flags;            /* seL4_TCBFlag (14.0+, TCB_SetFlags) */
    struct cap cspace_root, vspace_root, ipc_buffer_frame;
    uint64_t ipc_buffer_vaddr;    /* 0: no IPC buffer */
    struct fault fault;
    struct lookup_fault lookup_failure;   /* of a cap fault being delivered */
    struct ipc_block blocked;     /* while BLOCKED_ON_SEND / _RECV (can_grant only) */
#if CONFIG_KERNEL_MCS
    struct sched_context *sc;     /* tcbSchedContext: 0 = the thread cannot run */
    /* The reply object in the thread state: the one a receiver waits with,
     * or the one a caller blocked on its reply is linked to. */
    struct reply *reply;
#else
    /* The caller slot: the reply cap of the last Call received, naming the
     * thread blocked on the reply (0: empty slot). */
    struct tcb *caller;
    uint8_t caller_can_grant;
#endif
    struct thread_queue *blocked_queue;   /* the queue a blocked thread is in */
    struct tcb *ep_next;          /* next thread in the same endpoint/notification queue */
    struct tcb *sched_next;       /* next thread in the scheduler's list */
};
/* seL4's tcb_t sits in the upper half of the TCB object; ours must too.
 * The smallest TCB object is riscv64's 2^10 bytes (13.0.0, no FPU). */
_Static_assert(sizeof(struct tcb) <= 512, "struct tcb fits in half the smallest TCB object");

/* The rest of a thread's state, in the lower half of its TCB object (where
 * seL4 keeps the TCB's CNode slots; the stand-in keeps those caps in
 * struct tcb): it would not fit in the upper half of a 1 KiB TCB. */
struct tcb_ext {
    char name[TCB_NAME_LENGTH];   /* seL4's debug-build tcbName (shortened) */
#if CONFIG_KERNEL_MCS
    /* seL4's tcbFaultHandler and tcbTimeoutHandler slots: copies of the
     * endpoint caps TCB_SetSpace / SetSchedParams / SetTimeoutEndpoint
     * installed (null: none). */
    struct cap fault_handler, timeout_handler;
#else
    uint64_t fault_handler;       /* cptr of the fault endpoint (TCB_Configure) */
#endif
};
_Static_assert(sizeof(struct tcb_ext) <= 512, "struct tcb_ext fits in half the smallest TCB object");

static inline struct tcb_ext *tcb_ext(const struct tcb *t)
{
    return (struct tcb_ext *)((uintptr_t)t - sizeof(struct tcb_ext));
}

/* The thread eret will resume. Named like seL4's so debug scripts find it. */
extern struct tcb *ksCurThread;

/* Loads ksCurThread's saved context and returns to EL0. Never returns. */
__attribute__((noreturn)) void restore_user_context(void);
#endif

#endif
