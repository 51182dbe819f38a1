#include "syscalls.h"

#include "kernel_abi.h"
#include "trap.h"

static long number(enum sel4_syscall s)
{
    return kernel_abi->syscall[s];
}

static seL4_Word syscall1(long n, seL4_Word arg0)
{
    return trap1(n, arg0);
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

/* The message-passing trap (trap.h: which registers carry what). */
static void syscall_message(long n, seL4_Word cptr, seL4_Word reply, struct sys_message *msg)
{
    seL4_Word regs[6] = { cptr, msg->info, msg->mr[0], msg->mr[1], msg->mr[2], msg->mr[3] };
    trap_message(n, reply, regs);
    msg->badge = regs[0];
    msg->info = regs[1];
    msg->mr[0] = regs[2];
    msg->mr[1] = regs[3];
    msg->mr[2] = regs[4];
    msg->mr[3] = regs[5];
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
