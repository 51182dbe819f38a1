/* A FIFO of blocked threads, linked through tcb.ep_next: the queue of an
 * endpoint or a notification (seL4's tcb_queue_t). */
#ifndef STANDIN_QUEUE_H
#define STANDIN_QUEUE_H

#include "thread.h"

struct thread_queue {
    struct tcb *head, *tail;
};

static inline void queue_append(struct thread_queue *q, struct tcb *t)
{
    t->ep_next = 0;
    if (q->tail != 0)
        q->tail->ep_next = t;
    else
        q->head = t;
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

#endif
