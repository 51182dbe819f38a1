/* Decoding the fault messages seL4 sends to a thread's fault endpoint
 * (their labels from the kernel's ABI, kernel_abi.h): which labels are
 * faults, and one line that says what happened (type, PC, address, ...). */
#ifndef ROOTTASK_FAULT_MESSAGE_H
#define ROOTTASK_FAULT_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "sel4_abi.h"
#include "syscalls.h"

bool fault_is_fault(seL4_Word label);

/* "VMFault at pc 0x.., address 0x.. (data access, FSR 0x..)" and the like;
 * MR4 on come from the receiver's IPC buffer. */
void fault_describe(const struct sys_message *msg, const seL4_IPCBuffer *ipc, char *out,
                    size_t size);

#endif
