#include "syscalls.h"

#include "kernel_abi.h"

static long number(enum sel4_syscall s)
{
    return kernel_abi->syscall[s];
}

/* One trap into the kernel. The kernel preserves the whole user context
 * except x0..x5 (the argument and message registers), so those are the only
 * clobbers besides memory: the kernel may read or write user memory (IPC
 * buffer) and the compiler must not cache across the call. */
static seL4_Word syscall1(long n, seL4_Word arg0)
{
    register seL4_Word x0 __asm__("x0") = arg0;
    register long x7 __asm__("x7") = n;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x7)
                     : "x1", "x2", "x3", "x4", "x5", "memory");
    return x0;
}

void sys_debug_put_char(char c)
{
    syscall1(number(SEL4_SYSCALL_DebugPutChar), (unsigned char)c);
}

seL4_Word sys_debug_cap_identify(seL4_Word cptr)
{
    return syscall1(number(SEL4_SYSCALL_DebugCapIdentify), cptr);
}

void sys_yield(void)
{
    syscall1(number(SEL4_SYSCALL_Yield), 0);
}

void sys_debug_halt(void)
{
    syscall1(number(SEL4_SYSCALL_DebugHalt), 0);
}

/* The message-passing trap: x0 = cptr (badge on return), x1 = tag,
 * x2..x5 = MR0..MR3, all of them in and out; x6 = the Reply object (MCS
 * receives; ignored otherwise). */
static void syscall_message(long n, seL4_Word cptr, seL4_Word reply, struct sys_message *msg)
{
    register seL4_Word x0 __asm__("x0") = cptr;
    register seL4_Word x1 __asm__("x1") = msg->info;
    register seL4_Word x2 __asm__("x2") = msg->mr[0];
    register seL4_Word x3 __asm__("x3") = msg->mr[1];
    register seL4_Word x4 __asm__("x4") = msg->mr[2];
    register seL4_Word x5 __asm__("x5") = msg->mr[3];
    register seL4_Word x6 __asm__("x6") = reply;
    register long x7 __asm__("x7") = n;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                     : "r"(x6), "r"(x7)
                     : "memory");
    msg->badge = x0;
    msg->info = x1;
    msg->mr[0] = x2;
    msg->mr[1] = x3;
    msg->mr[2] = x4;
    msg->mr[3] = x5;
}

void sys_call(seL4_Word cptr, struct sys_message *msg)
{
    syscall_message(number(SEL4_SYSCALL_Call), cptr, 0, msg);
}

/* The send-only traps take the caller's message and must leave it as it was. */
static void send_message(long n, seL4_Word cptr, const struct sys_message *msg)
{
    struct sys_message copy = *msg;
    syscall_message(n, cptr, 0, &copy);
}

/* The receive traps start from an empty tag (nothing is sent). */
static void receive_message(long n, seL4_Word cptr, seL4_Word reply, struct sys_message *msg)
{
    msg->info = 0;
    syscall_message(n, cptr, reply, msg);
}

void sys_send(seL4_Word cptr, const struct sys_message *msg)
{
    send_message(number(SEL4_SYSCALL_Send), cptr, msg);
}

void sys_nb_send(seL4_Word cptr, const struct sys_message *msg)
{
    send_message(number(SEL4_SYSCALL_NBSend), cptr, msg);
}

void sys_recv(seL4_Word cptr, struct sys_message *msg)
{
    receive_message(number(kernel_is_mcs() ? SEL4_SYSCALL_Wait : SEL4_SYSCALL_Recv), cptr, 0, msg);
}

void sys_nb_recv(seL4_Word cptr, struct sys_message *msg)
{
    receive_message(number(kernel_is_mcs() ? SEL4_SYSCALL_NBWait : SEL4_SYSCALL_NBRecv), cptr, 0,
                    msg);
}

void sys_recv_call(seL4_Word cptr, seL4_Word reply, struct sys_message *msg)
{
    receive_message(number(SEL4_SYSCALL_Recv), cptr, reply, msg);
}

void sys_reply_to(seL4_Word reply, const struct sys_message *msg)
{
    if (kernel_is_mcs())
        send_message(number(SEL4_SYSCALL_Send), reply, msg);
    else
        send_message(number(SEL4_SYSCALL_Reply), 0, msg);
}

void sys_reply_recv_call(seL4_Word cptr, seL4_Word reply, struct sys_message *msg)
{
    syscall_message(number(SEL4_SYSCALL_ReplyRecv), cptr, reply, msg);
}

void sys_reply(const struct sys_message *msg)
{
    sys_reply_to(0, msg);
}

void sys_reply_recv(seL4_Word cptr, struct sys_message *msg)
{
    sys_reply_recv_call(cptr, 0, msg);
}

/* On a notification cap, seL4_Send is Signal; Wait and Poll are Recv and
 * NBRecv without a reply (MCS: Wait and NBWait). */
void sys_signal(seL4_Word cptr)
{
    struct sys_message msg = { .info = SEL4_MSGINFO(0, 0, 0, 0) };
    sys_send(cptr, &msg);
}

seL4_Word sys_wait(seL4_Word cptr)
{
    struct sys_message msg = { .info = 0 };
    sys_recv(cptr, &msg);
    return msg.badge;
}

seL4_Word sys_poll(seL4_Word cptr)
{
    struct sys_message msg = { .info = 0 };
    sys_nb_recv(cptr, &msg);
    return msg.badge;
}
