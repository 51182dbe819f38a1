#include "run_components.h"

#include <stdarg.h>

#include "component_abi.h"
#include "components.h"
#include "fault_message.h"
#include "fmt.h"
#include "invoke.h"
#include "print.h"
#include "spawn.h"
#include "spawner.h"
#include "syscalls.h"

enum child_state { NOT_SPAWNED, SPAWNED, RUNNING, ENDED };

static char failure[200];
static seL4_Word failed_mask;
static enum child_state state[64];

const char *components_failure(void)
{
    return failure;
}

seL4_Word components_failed_mask(void)
{
    return failed_mask;
}

static bool failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool failed(const char *fmt, ...)
{
    if (failure[0] == '\0') {   /* the first failure is the one the summary names */
        va_list ap;
        va_start(ap, fmt);
        bc_vsnprintf(failure, sizeof failure, fmt, ap);
        va_end(ap);
    }
    return false;
}

static const char *name_of(seL4_Word index)
{
    return spawner.reg->components[index].name;
}

static seL4_Word word(const struct sys_message *msg, unsigned i)
{
    return i < SEL4_FAST_MESSAGE_REGISTERS ? msg->mr[i] : invoke_ipc_buffer()->msg[i];
}

static bool hello(unsigned index, const struct sys_message *msg)
{
    seL4_Word length = SEL4_MSGINFO_LENGTH(msg->info);
    char key[64];
    bc_snprintf(key, sizeof key, "ipc.%s", name_of(index));
    rt_fact(key, "0x%lx 0x%x %lu", (unsigned long)msg->badge, HELLO_LABEL, (unsigned long)length);
    if (length != HELLO_LENGTH)
        return failed("IPC from %s: hello of length %lu, expected %u", name_of(index),
                      (unsigned long)length, HELLO_LENGTH);
    for (unsigned i = 0; i < HELLO_LENGTH; i++)
        if (word(msg, i) != HELLO_WORD(i))
            return failed("IPC from %s: word %u is 0x%lx, expected 0x%llx", name_of(index), i,
                          (unsigned long)word(msg, i), HELLO_WORD(i));
    rt_line("%s running, IPC OK", name_of(index));
    return true;
}

/* Returns whether the child itself succeeded. */
static bool done(unsigned index, const struct sys_message *msg)
{
    seL4_Word status = word(msg, 0), children = word(msg, 1);
    failed_mask |= children;
    unsigned first_failed = spawner.reg->n_components;
    for (unsigned i = 0; i < spawner.reg->n_components; i++) {
        if (children & ((seL4_Word)1 << i)) {
            rt_line("%s reports that %s failed", name_of(index), name_of(i));
            if (first_failed == spawner.reg->n_components)
                first_failed = i;
        }
    }
    if (status != 0) {
        rt_line("%s done: FAILED (status 0x%lx)", name_of(index), (unsigned long)status);
        return failed("component %s: done with status 0x%lx", name_of(index), (unsigned long)status);
    }
    rt_line("%s done", name_of(index));
    /* The child itself did its work; a failed grandchild fails the boot
     * (run_components' result) without marking the child. */
    if (first_failed < spawner.reg->n_components)
        failed("component %s failed (reported by %s)", name_of(first_failed), name_of(index));
    return true;
}

static bool fault(unsigned index, const struct sys_message *msg)
{
    char what[160];
    fault_describe(msg, invoke_ipc_buffer(), what, sizeof what);
    rt_line("component %s faulted: %s", name_of(index), what);
    return failed("component %s faulted: %s", name_of(index), what);
}

/* One message on the spawner's endpoint: whose (badge), and what. Returns
 * false when it ended a child badly. */
static bool receive(unsigned *ended)
{
    struct sys_message msg;
    sys_recv(spawner.endpoint, &msg);
    seL4_Word label = SEL4_MSGINFO_LABEL(msg.info), index = msg.badge - COMPONENT_BADGE(0);
    if (msg.badge < COMPONENT_BADGE(0) || !spawn_is_child((unsigned)index) ||
        state[index] == NOT_SPAWNED || state[index] == ENDED)
        return failed("IPC: message with label 0x%lx and badge 0x%lx, which no running child has",
                      (unsigned long)label, (unsigned long)msg.badge);
    bool ok;
    if (label == HELLO_LABEL && state[index] == SPAWNED) {
        state[index] = RUNNING;
        return hello((unsigned)index, &msg);
    } else if (label == DONE_LABEL && state[index] == RUNNING) {
        ok = done((unsigned)index, &msg);
    } else if (fault_is_fault(label)) {
        ok = fault((unsigned)index, &msg);
    } else {
        ok = failed("IPC from %s: unexpected message label 0x%lx", name_of(index),
                    (unsigned long)label);
    }
    state[index] = ENDED;
    ++*ended;
    if (!ok)
        failed_mask |= (seL4_Word)1 << index;
    return ok;
}

bool run_components(void)
{
    const struct registry *reg = spawner.reg;
    if (reg->n_components > sizeof state / sizeof state[0])
        return failed("%u components; at most %u", reg->n_components,
                      (unsigned)(sizeof state / sizeof state[0]));
    if (!spawn_objects())
        return failed("%s", spawn_failure());
    unsigned spawned = 0;
    for (unsigned i = 0; i < reg->n_components; i++) {
        if (!spawn_is_child(i))
            continue;
        if (!spawn_component(i)) {
            /* This child and the ones after it never run: they failed. */
            for (unsigned j = i; j < reg->n_components; j++)
                if (spawn_is_child(j))
                    failed_mask |= (seL4_Word)1 << j;
            return failed("%s", spawn_failure());
        }
        state[i] = SPAWNED;
        spawned++;
    }
    rt_fact("components.spawned", "%u", spawned);
    /* A failed child does not stop the others: wait until all have ended. */
    bool ok = true;
    for (unsigned ended = 0; ended < spawned;)
        ok &= receive(&ended);
    return ok && failure[0] == '\0';
}
