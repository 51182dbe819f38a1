#include "fault_message.h"

#include "fmt.h"

bool fault_is_fault(seL4_Word label)
{
    return label == SEL4_FAULT_CAP || label == SEL4_FAULT_UNKNOWN_SYSCALL ||
           label == SEL4_FAULT_USER_EXCEPTION || label == SEL4_FAULT_VM;
}

static unsigned long mr(const struct sys_message *msg, const seL4_IPCBuffer *ipc, unsigned i)
{
    return (unsigned long)(i < SEL4_FAST_MESSAGE_REGISTERS ? msg->mr[i] : ipc->msg[i]);
}

void fault_describe(const struct sys_message *msg, const seL4_IPCBuffer *ipc, char *out,
                    size_t size)
{
    switch (SEL4_MSGINFO_LABEL(msg->info)) {
    case SEL4_FAULT_VM:
        bc_snprintf(out, size, "VMFault at pc 0x%lx, address 0x%lx (%s, FSR 0x%lx)",
                    mr(msg, ipc, SEL4_VM_FAULT_IP), mr(msg, ipc, SEL4_VM_FAULT_ADDR),
                    mr(msg, ipc, SEL4_VM_FAULT_PREFETCH) ? "instruction fetch" : "data access",
                    mr(msg, ipc, SEL4_VM_FAULT_FSR));
        break;
    case SEL4_FAULT_CAP:
        bc_snprintf(out, size, "CapFault at pc 0x%lx, cptr 0x%lx (%s phase, lookup failure %lu)",
                    mr(msg, ipc, SEL4_CAP_FAULT_IP), mr(msg, ipc, SEL4_CAP_FAULT_ADDR),
                    mr(msg, ipc, SEL4_CAP_FAULT_IN_RECV_PHASE) ? "receive" : "send",
                    mr(msg, ipc, SEL4_CAP_FAULT_LOOKUP_FAILURE_TYPE));
        break;
    case SEL4_FAULT_USER_EXCEPTION:
        bc_snprintf(out, size, "UserException at pc 0x%lx, sp 0x%lx (number %lu, code %lu)",
                    mr(msg, ipc, SEL4_USER_EXCEPTION_FAULT_IP), mr(msg, ipc, SEL4_USER_EXCEPTION_SP),
                    mr(msg, ipc, SEL4_USER_EXCEPTION_NUMBER), mr(msg, ipc, SEL4_USER_EXCEPTION_CODE));
        break;
    case SEL4_FAULT_UNKNOWN_SYSCALL:
        bc_snprintf(out, size, "UnknownSyscall %ld at pc 0x%lx",
                    (long)mr(msg, ipc, SEL4_UNKNOWN_SYSCALL_SYSCALL),
                    mr(msg, ipc, SEL4_UNKNOWN_SYSCALL_FAULT_IP));
        break;
    default:
        bc_snprintf(out, size, "fault type %lu", (unsigned long)SEL4_MSGINFO_LABEL(msg->info));
        break;
    }
}
