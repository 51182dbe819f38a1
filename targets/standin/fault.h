/* Faults of user threads, delivered as seL4 delivers them: a fault message
 * (label = fault type) to the thread's fault handler, which waits for a
 * reply.
 *
 * Non-MCS: the handler is the endpoint cap whose cptr TCB_Configure or
 * SetSpace gave, looked up in the faulting thread's CSpace when the fault
 * happens; it must be an endpoint cap with Write and Grant or GrantReply,
 * otherwise seL4 reports a double fault and stops only the faulting thread.
 * MCS: the handler is the cap SetSpace / SetSchedParams installed in the
 * TCB (checked then); with none, seL4 reports that the thread has no fault
 * handler and stops it. */
#ifndef STANDIN_FAULT_H
#define STANDIN_FAULT_H

#include "cspace.h"
#include "sel4_abi.h"
#include "thread.h"

/* seL4's handleFault. A cap fault's lookup failure is current_lookup_fault
 * (cspace.h), as seL4's. The thread ends up blocked on its fault handler or
 * inactive. */
void fault_raise(struct tcb *t, struct fault f);

/* Convenience constructors. */
struct fault fault_cap(uint64_t cptr, int in_receive_phase);
struct fault fault_vm(uint64_t address, uint64_t esr, int instruction);
struct fault fault_unknown_syscall(uint64_t number);
struct fault fault_user_exception(uint64_t esr);

/* seL4's setMRs_fault: writes sender's fault message to receiver (MRs
 * past MR3 into buffer, when there is one); returns its length. */
unsigned fault_set_mrs(struct tcb *sender, struct tcb *receiver, seL4_IPCBuffer *buffer);

/* seL4's handleFaultReply: copies what a reply may change into the
 * faulting thread's registers; returns whether it restarts. */
int fault_handle_reply(struct tcb *faulting, struct tcb *replier);

#endif
