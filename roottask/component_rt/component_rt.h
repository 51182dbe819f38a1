/* What every component gets from the runtime: console output and the hello
 * message the root task waits for (component_abi.h). */
#ifndef COMPONENT_RT_H
#define COMPONENT_RT_H

#include "sel4_abi.h"

/* Writes a string to the kernel console (DebugPutChar). */
void component_print(const char *s);

/* Sends the hello message on the endpoint in slot `endpoint`: label
 * HELLO_LABEL, HELLO_LENGTH words, MR4+ through the IPC buffer. */
void component_send_hello(seL4_Word endpoint, seL4_Word ipc_buffer);

/* Each component's own entry, called by crt0.S with the entry registers. */
void component_main(seL4_Word endpoint, seL4_Word ipc_buffer);

#endif
