#include "thread.h"

/* In .bss like seL4's: NULL until init_kernel creates the root thread. */
struct tcb *ksCurThread;
