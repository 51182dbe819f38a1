/* ipc_producer: sends IPC_PAIR_MESSAGES seL4_Calls on its badged channel
 * cap and checks each reply, then fills the shared page and signals the
 * consumer. It holds a send-only (write, grant-reply) channel cap and a
 * signal-only notification cap: nothing to receive with. */
#include "component_rt.h"
#include "ipc_pair.h"
#include "print.h"
#include "syscalls.h"

const char component_name[] = "ipc_producer";

int component_main(const struct component_start *start)
{
    seL4_IPCBuffer *ipc = (seL4_IPCBuffer *)(uintptr_t)start->ipc_buffer;
    for (unsigned i = 0; i < IPC_PAIR_MESSAGES; i++) {
        struct sys_message msg = { .info = SEL4_MSGINFO(IPC_PAIR_LABEL, 0, 0, IPC_PAIR_LENGTH) };
        for (unsigned w = 0; w < IPC_PAIR_LENGTH; w++) {
            if (w < SEL4_FAST_MESSAGE_REGISTERS)
                msg.mr[w] = IPC_PAIR_WORD(i, w);
            else
                ipc->msg[w] = IPC_PAIR_WORD(i, w);
        }
        sys_call(IPC_PAIR_CHANNEL_SLOT, &msg);
        if (SEL4_MSGINFO_LABEL(msg.info) != 0 || SEL4_MSGINFO_LENGTH(msg.info) != 1 ||
            msg.mr[0] != i + 1) {
            rt_line("FAILED: reply %u: label 0x%lx length %lu word 0x%lx, expected 0 1 0x%x", i,
                    (unsigned long)SEL4_MSGINFO_LABEL(msg.info),
                    (unsigned long)SEL4_MSGINFO_LENGTH(msg.info), (unsigned long)msg.mr[0], i + 1);
            return 1;
        }
    }
    volatile unsigned char *page = (volatile unsigned char *)(uintptr_t)IPC_PAIR_SHARED_FRAME;
    for (unsigned k = 0; k < 4096; k++)
        page[k] = IPC_PAIR_BYTE(k);
    sys_signal(IPC_PAIR_NOTIFICATION_SLOT);
    rt_line("sent %u messages, each answered in order; shared page written and signalled",
            IPC_PAIR_MESSAGES);
    return 0;
}
