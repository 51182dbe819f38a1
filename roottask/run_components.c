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

#define MAX_COMPONENTS 64   /* the done message's masks are one word */

enum child_state { NOT_SPAWNED, SPAWNED, RUNNING, ENDED };

static char failure[200];
static enum child_state state[MAX_COMPONENTS];
static enum outcome outcome[MAX_COMPONENTS];

const char *components_failure(void)
{
    return failure;
}

enum outcome components_outcome(unsigned index)
{
    return index < MAX_COMPONENTS ? outcome[index] : OUTCOME_NOT_RUN;
}

const char *outcome_name(enum outcome o)
{
    switch (o) {
    case OUTCOME_OK: return "ok";
    case OUTCOME_FAILED: return "FAILED";
    case OUTCOME_NO_REPORT: return "NO REPORT";
    default: return "NOT RUN";
    }
}

static seL4_Word mask_of(enum outcome which)
{
    seL4_Word mask = 0;
    for (unsigned i = 0; i < MAX_COMPONENTS; i++)
        if (outcome[i] == which)
            mask |= (seL4_Word)1 << i;
    return mask;
}

seL4_Word components_failed_mask(void)
{
    return mask_of(OUTCOME_FAILED);
}

seL4_Word components_ok_mask(void)
{
    return mask_of(OUTCOME_OK);
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

/* The children of `parent` (a registry index) get `o`. */
static void set_children(unsigned parent, enum outcome o)
{
    for (unsigned i = 0; i < spawner.reg->n_components; i++)
        if (spawner.reg->components[i].parent == parent)
            outcome[i] = o;
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

/* A done message: the child's own status, and for each of its children
 * whether it failed, ended well or never ran. Returns whether the child
 * itself succeeded. */
static bool done(unsigned index, const struct sys_message *msg)
{
    seL4_Word status = word(msg, 0), failed_children = word(msg, 1), ok_children = word(msg, 2);
    unsigned first_bad = spawner.reg->n_components;
    for (unsigned i = 0; i < spawner.reg->n_components; i++) {
        if (spawner.reg->components[i].parent != index)
            continue;
        seL4_Word bit = (seL4_Word)1 << i;
        outcome[i] = failed_children & bit ? OUTCOME_FAILED
                   : ok_children & bit     ? OUTCOME_OK
                                           : OUTCOME_NOT_RUN;
        if (outcome[i] == OUTCOME_FAILED)
            rt_line("%s reports that %s failed", name_of(index), name_of(i));
        else if (outcome[i] == OUTCOME_NOT_RUN)
            rt_line("%s reports that %s never ran", name_of(index), name_of(i));
        if (outcome[i] != OUTCOME_OK && first_bad == spawner.reg->n_components)
            first_bad = i;
    }
    if (status != 0) {
        rt_line("%s done: FAILED (status 0x%lx)", name_of(index), (unsigned long)status);
        return failed("component %s: done with status 0x%lx", name_of(index), (unsigned long)status);
    }
    rt_line("%s done", name_of(index));
    /* The child itself did its work; a grandchild that failed or never ran
     * fails the boot (run_components' result) without marking the child. */
    if (first_bad < spawner.reg->n_components)
        failed("component %s %s (reported by %s)", name_of(first_bad),
               outcome[first_bad] == OUTCOME_FAILED ? "failed" : "never ran", name_of(index));
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
 * false when it ended a child badly. The spawner never answers: it
 * receives without a Reply object (sys_recv). */
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
    bool was_running = state[index] == RUNNING;
    if (label == HELLO_LABEL && state[index] == SPAWNED) {
        state[index] = RUNNING;
        return hello((unsigned)index, &msg);
    } else if (label == DONE_LABEL && state[index] == RUNNING) {
        ok = done((unsigned)index, &msg);
    } else if (fault_is_fault(label)) {
        ok = fault((unsigned)index, &msg);
        /* A component that ran (its hello came) may have started children. */
        set_children((unsigned)index, was_running ? OUTCOME_NO_REPORT : OUTCOME_NOT_RUN);
    } else {
        ok = failed("IPC from %s: unexpected message label 0x%lx", name_of(index),
                    (unsigned long)label);
        set_children((unsigned)index, OUTCOME_NO_REPORT);
    }
    state[index] = ENDED;
    ++*ended;
    outcome[index] = ok ? OUTCOME_OK : OUTCOME_FAILED;
    return ok;
}

/* Every component below this spawner ended well. */
static bool subtree_ok(void)
{
    for (unsigned i = 0; i < spawner.reg->n_components; i++) {
        unsigned parent = spawner.reg->components[i].parent;
        bool mine = spawn_is_child(i) ||
                    (parent != REGISTRY_OWNER_ROOT && spawn_is_child(parent));
        if (mine && outcome[i] != OUTCOME_OK)
            return false;
    }
    return true;
}

bool run_components(void)
{
    const struct registry *reg = spawner.reg;
    if (reg->n_components > MAX_COMPONENTS)
        return failed("%u components; at most %u", reg->n_components, MAX_COMPONENTS);
    if (!spawn_objects())
        return failed("%s", spawn_failure());
    unsigned spawned = 0;
    bool spawn_ok = true;
    for (unsigned i = 0; i < reg->n_components && spawn_ok; i++) {
        if (!spawn_is_child(i))
            continue;
        if (!spawn_component(i)) {
            /* This child failed; the ones after it are never spawned (they
             * stay OUTCOME_NOT_RUN, as do the children of all of them). */
            outcome[i] = OUTCOME_FAILED;
            spawn_ok = failed("%s", spawn_failure());
            break;
        }
        state[i] = SPAWNED;
        spawned++;
    }
    rt_fact("components.spawned", "%u", spawned);
    /* A failed child does not stop the others: wait until all that were
     * spawned have ended. */
    bool ok = spawn_ok;
    for (unsigned ended = 0; ended < spawned;)
        ok &= receive(&ended);
    return ok && subtree_ok() && failure[0] == '\0';
}
