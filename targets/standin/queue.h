/* Operations on a struct thread_queue (thread.h), a FIFO of blocked
 * threads linked through tcb.ep_next: the queue of an endpoint or a
 * notification (seL4's tcb_queue_t). Each thread remembers its queue, so a
 * cancelled IPC can take it out. */
#ifndef STANDIN_QUEUE_H
#define STANDIN_QUEUE_H

#include "config.h"
#include "thread.h"

/* Enqueues t: at the tail on a non-MCS kernel; on MCS, seL4 keeps endpoint
 * and notification queues in priority order (tcbEPAppend / tcbAppend):
 * behind every thread of t's priority or higher, ahead of lower ones. */
static inline void queue_append(struct thread_queue *q, struct tcb *t)
{
    struct tcb *before = q->tail;
    if (CONFIG_KERNEL_MCS && before != 0 && t->priority > before->priority) {
        /* The last thread whose priority is at least t's, if any. */
        before = 0;
        for (struct tcb *i = q->head; i != 0 && i->priority >= t->priority; i = i->ep_next)
            before = i;
    }
    t->blocked_queue = q;
    if (before == 0) {
        t->ep_next = q->head;
        q->head = t;
    } else {
        t->ep_next = before->ep_next;
        before->ep_next = t;
    }
    if (t->ep_next == 0)
        q->tail = t;
}

static inline struct tcb *queue_pop(struct thread_queue *q)
{
    struct tcb *t = q->head;
    q->head = t->ep_next;
    if (q->head == 0)
        q->tail = 0;
    t->ep_next = 0;
    return t;
}

/* Takes t out of the queue wherever it is (seL4's tcbEPDequeue). */
static inline void queue_remove(struct thread_queue *q, struct tcb *t)
{
    struct tcb *prev = 0;
    for (struct tcb *i = q->head; i != 0; prev = i, i = i->ep_next) {
        if (i != t)
            continue;
        if (prev != 0)
            prev->ep_next = t->ep_next;
        else
            q->head = t->ep_next;
        if (q->tail == t)
            q->tail = prev;
        t->ep_next = 0;
        return;
    }
}

#endif
