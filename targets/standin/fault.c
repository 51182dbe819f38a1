#include "fault.h"

#include "invocation.h"
#include "ipc.h"
#include "release.h"
#include "sched.h"
#include "uart.h"
#include "vspace.h"

/* User stack words printed after a double fault (seL4's
 * CONFIG_USER_STACK_TRACE_LENGTH in the qemu-arm-virt debug build). */
#define USER_STACK_TRACE_LENGTH 16

/* Where MR i of a fault message comes from (seL4's SYSCALL_MESSAGE and
 * EXCEPTION_MESSAGE of the arch, user_context.h); the reply writes the same
 * registers. */
static const uint8_t syscall_message_register[] = SYSCALL_MESSAGE_REGISTERS;
static const uint8_t exception_message_register[] = EXCEPTION_MESSAGE_REGISTERS;
#define SYSCALL_MESSAGE_WORDS (sizeof syscall_message_register)
#define EXCEPTION_MESSAGE_WORDS (sizeof exception_message_register)

struct fault fault_cap(uint64_t cptr, int in_receive_phase)
{
    return (struct fault){ .type = FAULT_CAP, .flag = (uint8_t)in_receive_phase,
                           .address = cptr };
}

struct fault fault_vm(uint64_t address, uint64_t esr, int instruction)
{
    return (struct fault){ .type = FAULT_VM, .flag = (uint8_t)instruction,
                           .address = address, .status = esr };
}

struct fault fault_unknown_syscall(uint64_t number)
{
    return (struct fault){ .type = FAULT_UNKNOWN_SYSCALL, .address = number };
}

struct fault fault_user_exception(uint64_t esr)
{
    return (struct fault){ .type = FAULT_USER_EXCEPTION, .address = esr, .status = 0 };
}

/* seL4's printf %p as measured on 13.0.0: "0x" and hex digits, plain "0"
 * for zero. */
static void print_pointer(uint64_t value)
{
    if (value == 0)
        kprintf("0");
    else
        kprintf("0x%lx", (unsigned long)value);
}

/* seL4's print_fault (kernel/faulthandler.c), word for word in format. */
static void print_fault(const struct fault *f)
{
    switch (f->type) {
    case FAULT_NULL:
        kprintf("null fault");
        break;
    case FAULT_CAP:
        kprintf("cap fault in %s phase at address ", f->flag ? "receive" : "send");
        print_pointer(f->address);
        break;
    case FAULT_VM:
        kprintf("vm fault on %s at address ", f->flag ? "code" : "data");
        print_pointer(f->address);
        kprintf(" with status ");
        print_pointer(f->status);
        break;
    case FAULT_UNKNOWN_SYSCALL:
        kprintf("unknown syscall ");
        print_pointer(f->address);
        break;
    case FAULT_USER_EXCEPTION:
        kprintf("user exception ");
        print_pointer(f->address);
        kprintf(" code ");
        print_pointer(f->status);
        break;
    default:
        kprintf("unknown fault");
        break;
    }
}

/* seL4's Arch_userStackTrace. */
static void print_user_stack(const struct tcb *t)
{
    if (t->vspace_root.tag != VSPACE_ROOT_CAP_TAG) {
        kprintf("Invalid vspace\n");
        return;
    }
    uint64_t sp = t->registers[REG_SP];
    if (sp & 7) {
#if STACK_TRACE_NAMES_SP
        kprintf("SP 0x%lx not aligned", (unsigned long)sp);
#else
        kprintf("SP not aligned\n");
#endif
        return;
    }
    for (unsigned i = 0; i < USER_STACK_TRACE_LENGTH; i++) {
        uint64_t address = sp + i * 8, value;
        if (user_vspace_read_word(paddr_to_kptr(t->vspace_root.object), address, &value))
            kprintf("0x%lx: 0x%lx\n", (unsigned long)address, (unsigned long)value);
        else
            kprintf("0x%lx: INVALID\n", (unsigned long)address);
    }
}

/* The end of seL4's handleDoubleFault / handleNoFaultHandler report, then
 * only this thread stops. */
static void report_thread_and_stop(struct tcb *t)
{
    kprintf("\nin thread ");
    print_pointer((uint64_t)(uintptr_t)t);
    kprintf(" \"%s\" at address ", tcb_ext(t)->name);
    print_pointer(t->registers[REG_FAULT_IP]);
    kprintf("\nWith stack:\n");
    print_user_stack(t);
    sched_set_state(t, THREAD_INACTIVE);
}

#if CONFIG_KERNEL_MCS
void fault_raise(struct tcb *t, struct fault f)
{
    if (tcb_ext(t)->fault_handler.tag == SEL4_CAP_TAG_ENDPOINT) {
        t->fault = f;
        /* seL4 13.0 .. 15.0 never record the lookup failure of a cap fault
         * on MCS: the message carries the TCB's lookup_failure as it is
         * (zeroed with the TCB: InvalidRoot). 16.0 records it. */
        if (f.type == FAULT_CAP && release_at_least(16))
            t->lookup_failure = current_lookup_fault;
        ipc_send_fault(t, &tcb_ext(t)->fault_handler);
        return;
    }
    /* seL4's handleNoFaultHandler. */
    kprintf("Found thread has no fault handler while trying to handle:\n");
    print_fault(&f);
    report_thread_and_stop(t);
}
#else
void fault_raise(struct tcb *t, struct fault f)
{
    struct lookup_fault original = current_lookup_fault;
    struct cap *handler = cspace_lookup(&t->cspace_root, tcb_ext(t)->fault_handler, 0);
    if (handler != 0 && handler->tag == SEL4_CAP_TAG_ENDPOINT &&
        (handler->rights & SEL4_CAN_WRITE) &&
        (handler->rights & (SEL4_CAN_GRANT | SEL4_CAN_GRANT_REPLY))) {
        t->fault = f;
        if (f.type == FAULT_CAP)
            t->lookup_failure = original;
        ipc_send_fault(t, handler);
        return;
    }
    /* seL4's handleDoubleFault: the handler cptr is the second fault. */
    if (handler != 0)
        current_lookup_fault = (struct lookup_fault){ .type = LOOKUP_MISSING_CAPABILITY };
    struct fault handler_fault = fault_cap(tcb_ext(t)->fault_handler, 0);
    kprintf("Caught ");
    print_fault(&handler_fault);
    kprintf("\nwhile trying to handle:\n");
    print_fault(&f);
    report_thread_and_stop(t);
}
#endif

/* seL4's setMRs_lookup_failure, from MR offset on. */
static unsigned set_lookup_failure(struct tcb *receiver, seL4_IPCBuffer *buffer,
                                   const struct lookup_fault *l, unsigned offset)
{
    /* The kernel's lookup_fault tags are seL4_LookupFailureType - 1. */
    unsigned n = ipc_set_mr(receiver, buffer, offset, SEL4_LOOKUP_INVALID_ROOT + l->type);
    switch (l->type) {
    case LOOKUP_MISSING_CAPABILITY:
        return ipc_set_mr(receiver, buffer, offset + 1, l->bits_left);
    case LOOKUP_DEPTH_MISMATCH:
        ipc_set_mr(receiver, buffer, offset + 1, l->bits_left);
        return ipc_set_mr(receiver, buffer, offset + 2, l->bits_found);
    case LOOKUP_GUARD_MISMATCH:
        ipc_set_mr(receiver, buffer, offset + 1, l->bits_left);
        ipc_set_mr(receiver, buffer, offset + 2, l->guard_found);
        return ipc_set_mr(receiver, buffer, offset + 3, l->bits_found);
    default:
        return n;
    }
}

/* seL4's copyMRsFault: registers of the sender as MRs. */
static void copy_registers(const struct tcb *sender, struct tcb *receiver, seL4_IPCBuffer *buffer,
                           const uint8_t *registers, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (i < SEL4_FAST_MESSAGE_REGISTERS || buffer != 0)
            ipc_set_mr(receiver, buffer, i, sender->registers[registers[i]]);
}

unsigned fault_set_mrs(struct tcb *sender, struct tcb *receiver, seL4_IPCBuffer *buffer)
{
    const struct fault *f = &sender->fault;
    switch (f->type) {
    case FAULT_CAP:
        ipc_set_mr(receiver, buffer, SEL4_CAP_FAULT_IP, sender->registers[REG_FAULT_IP]);
        ipc_set_mr(receiver, buffer, SEL4_CAP_FAULT_ADDR, f->address);
        ipc_set_mr(receiver, buffer, SEL4_CAP_FAULT_IN_RECV_PHASE, f->flag);
        return set_lookup_failure(receiver, buffer, &sender->lookup_failure,
                                  SEL4_CAP_FAULT_LOOKUP_FAILURE_TYPE);
    case FAULT_UNKNOWN_SYSCALL:
        copy_registers(sender, receiver, buffer, syscall_message_register, SYSCALL_MESSAGE_WORDS);
        return ipc_set_mr(receiver, buffer, SYSCALL_MESSAGE_WORDS, f->address);
    case FAULT_USER_EXCEPTION:
        copy_registers(sender, receiver, buffer, exception_message_register,
                       EXCEPTION_MESSAGE_WORDS);
        ipc_set_mr(receiver, buffer, EXCEPTION_MESSAGE_WORDS, f->address);
        return ipc_set_mr(receiver, buffer, EXCEPTION_MESSAGE_WORDS + 1, f->status);
    default:   /* FAULT_VM */
        ipc_set_mr(receiver, buffer, SEL4_VM_FAULT_IP, sender->registers[REG_FAULT_IP]);
        ipc_set_mr(receiver, buffer, SEL4_VM_FAULT_ADDR, f->address);
        ipc_set_mr(receiver, buffer, SEL4_VM_FAULT_PREFETCH, f->flag);
        return ipc_set_mr(receiver, buffer, SEL4_VM_FAULT_FSR, f->status);
    }
}

/* seL4's copyMRsFaultReply: the reply's MRs into the listed registers; a
 * new status register is sanitised as seL4 does (user_context.h). */
static void copy_reply(struct tcb *faulting, struct tcb *replier, const uint8_t *registers,
                       unsigned n)
{
    uint64_t length = SEL4_MSGINFO_LENGTH(replier->registers[REG_MSG_INFO]);
    if (length < n)
        n = (unsigned)length;
    seL4_IPCBuffer *buffer = thread_ipc_buffer(replier);
    for (unsigned i = 0; i < n; i++) {
        uint64_t value;
        if (i < SEL4_FAST_MESSAGE_REGISTERS)
            value = replier->registers[REG_MR(i)];
        else if (buffer != 0)
            value = buffer->msg[i];
        else
            break;
        faulting->registers[registers[i]] = user_register_sanitise(registers[i], value);
    }
}

int fault_handle_reply(struct tcb *faulting, struct tcb *replier)
{
    int label_zero = SEL4_MSGINFO_LABEL(replier->registers[REG_MSG_INFO]) == 0;
    switch (faulting->fault.type) {
    case FAULT_UNKNOWN_SYSCALL:
        copy_reply(faulting, replier, syscall_message_register, SYSCALL_MESSAGE_WORDS);
        return label_zero;
    case FAULT_USER_EXCEPTION:
        copy_reply(faulting, replier, exception_message_register, EXCEPTION_MESSAGE_WORDS);
        return label_zero;
    default:   /* cap and VM faults always restart */
        return 1;
    }
}
