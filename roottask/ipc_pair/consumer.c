/* ipc_consumer: receives the producer's messages (seL4_Recv, then
 * seL4_ReplyRecv), checks order, badge and content, answers each, then
 * waits for the notification and checks the shared page. It holds a
 * receive-only channel cap and a wait-only notification cap, and first
 * proves that seL4 refuses it what it was not given. */
#include "component_rt.h"
#include "fmt.h"
#include "invoke.h"
#include "ipc_pair.h"
#include "print.h"
#include "syscalls.h"

const char component_name[] = "ipc_consumer";

/* A Call on a cap without the send right must come back with seL4's error,
 * not be delivered: least privilege as the kernel enforces it. */
static bool denied(seL4_Word slot, const char *what)
{
    struct sys_message msg = { .info = SEL4_MSGINFO(IPC_PAIR_LABEL, 0, 0, 0) };
    sys_call(slot, &msg);
    seL4_Word error = SEL4_MSGINFO_LABEL(msg.info);
    rt_line("denied: Call on %s -> %s", what, sel4_error_name(error));
    return error == SEL4_INVALID_CAPABILITY;
}

static bool check_message(unsigned i, const struct sys_message *msg, const seL4_IPCBuffer *ipc)
{
    if (msg->badge != IPC_PAIR_CHANNEL_BADGE || SEL4_MSGINFO_LABEL(msg->info) != IPC_PAIR_LABEL ||
        SEL4_MSGINFO_LENGTH(msg->info) != IPC_PAIR_LENGTH) {
        rt_line("FAILED: message %u: badge 0x%lx label 0x%lx length %lu", i,
                (unsigned long)msg->badge, (unsigned long)SEL4_MSGINFO_LABEL(msg->info),
                (unsigned long)SEL4_MSGINFO_LENGTH(msg->info));
        return false;
    }
    for (unsigned w = 0; w < IPC_PAIR_LENGTH; w++) {
        seL4_Word got = w < SEL4_FAST_MESSAGE_REGISTERS ? msg->mr[w] : ipc->msg[w];
        if (got != IPC_PAIR_WORD(i, w)) {
            rt_line("FAILED: message %u word %u is 0x%lx, expected 0x%llx (out of order?)", i, w,
                    (unsigned long)got, IPC_PAIR_WORD(i, w));
            return false;
        }
    }
    return true;
}

int component_main(const struct component_start *start)
{
    const seL4_IPCBuffer *ipc = (const seL4_IPCBuffer *)(uintptr_t)start->ipc_buffer;
    /* The first slot past our grant is empty: invoking it is an error too. */
    char not_granted[48];
    bc_snprintf(not_granted, sizeof not_granted, "slot %lu, which it was not given",
                (unsigned long)(start->granted_slots + 1));
    if (!denied(IPC_PAIR_CHANNEL_SLOT, "its receive-only endpoint") ||
        !denied(IPC_PAIR_NOTIFICATION_SLOT, "its wait-only notification") ||
        !denied(start->granted_slots + 1, not_granted))
        return 1;
    /* Each Call is received into our Reply object (MCS) and answered
     * through it; a non-MCS kernel keeps the reply cap in our TCB. */
    struct sys_message msg;
    sys_recv_call(IPC_PAIR_CHANNEL_SLOT, IPC_PAIR_REPLY_SLOT, &msg);
    for (unsigned i = 0; i < IPC_PAIR_MESSAGES; i++) {
        if (!check_message(i, &msg, ipc))
            return 2;
        msg = (struct sys_message){ .info = SEL4_MSGINFO(0, 0, 0, 1), .mr = { i + 1 } };
        if (i + 1 < IPC_PAIR_MESSAGES)
            sys_reply_recv_call(IPC_PAIR_CHANNEL_SLOT, IPC_PAIR_REPLY_SLOT, &msg);
        else
            sys_reply_to(IPC_PAIR_REPLY_SLOT, &msg);
    }
    seL4_Word badge = sys_wait(IPC_PAIR_NOTIFICATION_SLOT);
    if (badge != IPC_PAIR_SIGNAL_BADGE) {
        rt_line("FAILED: notification badge 0x%lx, expected 0x%x", (unsigned long)badge,
                IPC_PAIR_SIGNAL_BADGE);
        return 3;
    }
    const volatile unsigned char *page = (const volatile unsigned char *)(uintptr_t)IPC_PAIR_SHARED_FRAME;
    for (unsigned k = 0; k < 4096; k++) {
        if (page[k] != IPC_PAIR_BYTE(k)) {
            rt_line("FAILED: shared page byte 0x%x is 0x%x, expected 0x%x", k, page[k],
                    IPC_PAIR_BYTE(k));
            return 4;
        }
    }
    rt_line("received %u messages in order with badge 0x%x, each answered; shared page: 4096 "
            "bytes as written, signalled with badge 0x%x",
            IPC_PAIR_MESSAGES, IPC_PAIR_CHANNEL_BADGE, IPC_PAIR_SIGNAL_BADGE);
    return 0;
}
