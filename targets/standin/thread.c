#include "thread.h"

/* In .bss like seL4's: NULL until init_kernel creates the root thread. */
struct tcb *ksCurThread;

#include "config.h"

/* seL4 keeps each core's idle thread TCB (2^seL4_TCBBits bytes) in section
 * ._idle_thread. The stand-in idles without one, but reserves the same
 * space, so that a stripped stand-in shows its core count where seL4's
 * does (the section's size). */
char ksIdleThreadTCB[MAX_NUM_NODES][1u << SEL4_TCB_BITS]
    __attribute__((section("._idle_thread"), aligned(1u << SEL4_TCB_BITS), used));
