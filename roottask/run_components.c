#include "run_components.h"

#include <stdarg.h>

#include "alloc.h"
#include "component_abi.h"
#include "components.h"
#include "fmt.h"
#include "print.h"
#include "spawn.h"
#include "syscalls.h"

static char failure[200];

const char *components_failure(void)
{
    return failure;
}

static bool failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool failed(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bc_vsnprintf(failure, sizeof failure, fmt, ap);
    va_end(ap);
    return false;
}

static bool same(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b)
        a++, b++;
    return *a == *b;
}

static bool spawned_by_root(unsigned i)
{
    return same(components[i].parent, "roottask");
}

/* One hello message: from a component we spawned (by its badge), not seen
 * before, with the agreed label, length and words. */
static bool receive_hello(const seL4_IPCBuffer *ipc, bool *heard)
{
    struct sys_message msg;
    sys_recv(spawn_endpoint(), &msg);
    seL4_Word label = SEL4_MSGINFO_LABEL(msg.info), length = SEL4_MSGINFO_LENGTH(msg.info);
    seL4_Word index = msg.badge - COMPONENT_BADGE(0);
    if (msg.badge < COMPONENT_BADGE(0) || index >= n_components || !spawned_by_root(index))
        return failed("IPC: message with badge 0x%lx, which no spawned component has",
                      (unsigned long)msg.badge);
    const char *name = components[index].name;
    if (heard[index])
        return failed("IPC: second message from %s (badge 0x%lx)", name, (unsigned long)msg.badge);
    heard[index] = true;
    char key[64];
    bc_snprintf(key, sizeof key, "ipc.%s", name);
    rt_fact(key, "0x%lx 0x%lx %lu", (unsigned long)msg.badge, (unsigned long)label,
            (unsigned long)length);
    if (label != HELLO_LABEL || length != HELLO_LENGTH)
        return failed("IPC from %s: label 0x%lx length %lu, expected label 0x%x length %u", name,
                      (unsigned long)label, (unsigned long)length, HELLO_LABEL, HELLO_LENGTH);
    for (unsigned i = 0; i < HELLO_LENGTH; i++) {
        seL4_Word word = i < SEL4_FAST_MESSAGE_REGISTERS ? msg.mr[i] : ipc->msg[i];
        if (word != HELLO_WORD(i))
            return failed("IPC from %s: word %u is 0x%lx, expected 0x%llx", name, i,
                          (unsigned long)word, HELLO_WORD(i));
    }
    rt_line("%s running, IPC OK", name);
    return true;
}

bool run_components(const seL4_BootInfo *bi)
{
    if (!spawn_init(bi))
        return failed("%s", spawn_failure());
    unsigned spawned = 0;
    for (unsigned i = 0; i < n_components; i++) {
        if (!spawned_by_root(i))
            continue;
        if (!spawn_component(i))
            return failed("%s", spawn_failure());
        spawned++;
    }
    rt_fact("components.spawned", "%u", spawned);
    bool *heard = heap_alloc(n_components * sizeof *heard);
    if (heard == 0)
        return failed("root task heap exhausted");
    const seL4_IPCBuffer *ipc = (const seL4_IPCBuffer *)(uintptr_t)bi->ipcBuffer;
    for (unsigned k = 0; k < spawned; k++)
        if (!receive_hello(ipc, heard))
            return false;
    return true;
}
