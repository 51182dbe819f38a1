#include "component_rt.h"

#include "component_abi.h"
#include "syscalls.h"

void component_print(const char *s)
{
    while (*s != '\0')
        sys_debug_put_char(*s++);
}

void component_send_hello(seL4_Word endpoint, seL4_Word ipc_buffer)
{
    seL4_IPCBuffer *ipc = (seL4_IPCBuffer *)(uintptr_t)ipc_buffer;
    struct sys_message msg = { .info = SEL4_MSGINFO(HELLO_LABEL, 0, 0, HELLO_LENGTH) };
    for (unsigned i = 0; i < HELLO_LENGTH; i++) {
        if (i < SEL4_FAST_MESSAGE_REGISTERS)
            msg.mr[i] = HELLO_WORD(i);
        else
            ipc->msg[i] = HELLO_WORD(i);
    }
    sys_send(endpoint, &msg);
}
