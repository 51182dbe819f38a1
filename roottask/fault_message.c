#include "fault_message.h"

#include "fmt.h"
#include "kernel_abi.h"

/* Fault labels differ with MCS (Timeout is 5, VMFault 6): the kernel's ABI
 * names them; their message registers are the same everywhere. */
static bool is(seL4_Word label, enum sel4_fault_type type)
{
    int number = kernel_abi->fault_type[type];
    return number > 0 && label == (seL4_Word)number;
}

bool fault_is_fault(seL4_Word label)
{
    return is(label, SEL4_FAULT_TYPE_CapFault) || is(label, SEL4_FAULT_TYPE_UnknownSyscall) ||
           is(label, SEL4_FAULT_TYPE_UserException) || is(label, SEL4_FAULT_TYPE_VMFault) ||
           is(label, SEL4_FAULT_TYPE_Timeout);
}

static unsigned long mr(const struct sys_message *msg, const seL4_IPCBuffer *ipc, unsigned i)
{
    return (unsigned long)(i < SEL4_FAST_MESSAGE_REGISTERS ? msg->mr[i] : ipc->msg[i]);
}

void fault_describe(const struct sys_message *msg, const seL4_IPCBuffer *ipc, char *out,
                    size_t size)
{
    seL4_Word label = SEL4_MSGINFO_LABEL(msg->info);
    if (is(label, SEL4_FAULT_TYPE_VMFault))
        bc_snprintf(out, size, "VMFault at pc 0x%lx, address 0x%lx (%s, FSR 0x%lx)",
                    mr(msg, ipc, SEL4_FAULT_MSG_VMFault_IP), mr(msg, ipc, SEL4_FAULT_MSG_VMFault_Addr),
                    mr(msg, ipc, SEL4_FAULT_MSG_VMFault_PrefetchFault) ? "instruction fetch"
                                                                       : "data access",
                    mr(msg, ipc, SEL4_FAULT_MSG_VMFault_FSR));
    else if (is(label, SEL4_FAULT_TYPE_CapFault))
        bc_snprintf(out, size, "CapFault at pc 0x%lx, cptr 0x%lx (%s phase, lookup failure %lu)",
                    mr(msg, ipc, SEL4_FAULT_MSG_CapFault_IP), mr(msg, ipc, SEL4_FAULT_MSG_CapFault_Addr),
                    mr(msg, ipc, SEL4_FAULT_MSG_CapFault_InRecvPhase) ? "receive" : "send",
                    mr(msg, ipc, SEL4_FAULT_MSG_CapFault_LookupFailureType));
    else if (is(label, SEL4_FAULT_TYPE_UserException))
        bc_snprintf(out, size, "UserException at pc 0x%lx, sp 0x%lx (number %lu, code %lu)",
                    mr(msg, ipc, SEL4_FAULT_MSG_UserException_FaultIP),
                    mr(msg, ipc, SEL4_FAULT_MSG_UserException_SP),
                    mr(msg, ipc, SEL4_FAULT_MSG_UserException_Number),
                    mr(msg, ipc, SEL4_FAULT_MSG_UserException_Code));
    else if (is(label, SEL4_FAULT_TYPE_UnknownSyscall))
        bc_snprintf(out, size, "UnknownSyscall %ld at pc 0x%lx",
                    (long)mr(msg, ipc, SEL4_FAULT_MSG_UnknownSyscall_Syscall),
                    mr(msg, ipc, SEL4_FAULT_MSG_UnknownSyscall_FaultIP));
    else if (is(label, SEL4_FAULT_TYPE_Timeout))
        bc_snprintf(out, size, "Timeout (data 0x%lx, consumed %lu)",
                    mr(msg, ipc, SEL4_FAULT_MSG_Timeout_Data),
                    mr(msg, ipc, SEL4_FAULT_MSG_Timeout_Consumed));
    else
        bc_snprintf(out, size, "fault type %lu", (unsigned long)label);
}
