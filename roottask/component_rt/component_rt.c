#include "component_rt.h"

#include "arch.h"
#include "component_abi.h"
#include "fmt.h"
#include "invoke.h"
#include "kernel_abi.h"
#include "print.h"
#include "syscalls.h"

struct component_start component_start;
static char prefix[48];

void component_print(const char *s)
{
    while (*s != '\0')
        sys_debug_put_char(*s++);
}

static const char *tag_name(seL4_Word tag)
{
    if (kernel_is_mcs() && tag == kernel_cap_tag(SEL4_CAPTAG_sched_context))
        return "sched_context";
    if (kernel_is_mcs() && tag == kernel_cap_tag(SEL4_CAPTAG_sched_control))
        return "sched_control";
    switch (tag) {
    case SEL4_CAP_TAG_NULL: return "empty";
    case SEL4_CAP_TAG_FRAME: return "frame";
    case SEL4_CAP_TAG_UNTYPED: return "untyped";
    case SEL4_CAP_TAG_PAGE_TABLE: return "page_table";
    case SEL4_CAP_TAG_ENDPOINT: return "endpoint";
    case SEL4_CAP_TAG_NOTIFICATION: return "notification";
    case SEL4_CAP_TAG_REPLY: return "reply";
    case SEL4_CAP_TAG_VSPACE: return "vspace";
    case SEL4_CAP_TAG_CNODE: return "cnode";
    case SEL4_CAP_TAG_THREAD: return "tcb";
    case SEL4_CAP_TAG_ASID_POOL: return "asid_pool";
    default: return "other";
    }
}

/* Least privilege, from inside: every slot of our CNode holds what the
 * parent says it granted (slots 1..granted_slots, tags in granted_tags)
 * and nothing else, as seL4_DebugCapIdentify sees it. */
static bool check_caps(const struct component_start *s)
{
    seL4_Word slots = (seL4_Word)1 << s->cnode_bits, empty = 0;
    char held[200];
    int n = 0;
    bool ok = true;
    for (seL4_Word slot = 0; slot < slots; slot++) {
        seL4_Word want = slot >= 1 && slot <= s->granted_slots
                             ? (s->granted_tags >> (COMPONENT_TAG_BITS * (slot - 1))) & 31
                             : SEL4_CAP_TAG_NULL;
        seL4_Word got = sys_debug_cap_identify(slot);
        if (got != want) {
            rt_line("cap check FAILED: slot %lu holds %s (tag %lu), granted %s",
                    (unsigned long)slot, tag_name(got), (unsigned long)got, tag_name(want));
            ok = false;
        }
        if (got == SEL4_CAP_TAG_NULL)
            empty++;
        else if (n < (int)sizeof held - 24)
            n += bc_snprintf(held + n, sizeof held - (size_t)n, " %lu=%s", (unsigned long)slot,
                             tag_name(got));
    }
    held[n] = '\0';
    rt_line("holds%s; the other %lu slots are empty", held, (unsigned long)empty);
    return ok;
}

static void send_hello(const struct component_start *s)
{
    seL4_IPCBuffer *ipc = (seL4_IPCBuffer *)(uintptr_t)s->ipc_buffer;
    struct sys_message msg = { .info = SEL4_MSGINFO(HELLO_LABEL, 0, 0, HELLO_LENGTH) };
    for (unsigned i = 0; i < HELLO_LENGTH; i++) {
        if (i < SEL4_FAST_MESSAGE_REGISTERS)
            msg.mr[i] = HELLO_WORD(i);
        else
            ipc->msg[i] = HELLO_WORD(i);
    }
    sys_send(s->parent_slot, &msg);
}

void component_done(seL4_Word status, seL4_Word failed_children, seL4_Word ok_children)
{
    struct sys_message msg = { .info = SEL4_MSGINFO(DONE_LABEL, 0, 0, DONE_LENGTH),
                               .mr = { status, failed_children, ok_children } };
    /* The parent never replies: this Call is where the component ends. */
    sys_call(component_start.parent_slot, &msg);
    for (;;)
        sys_yield();
}

void component_rt_main(const struct component_start *start)
{
    /* The kernel's ABI as our parent found it, before any syscall. A word
     * that names none means a broken parent: stop with an undefined
     * instruction, which the kernel reports to the parent (no syscall can
     * be numbered without the ABI). */
    const struct sel4_abi *abi = sel4_abi_from_word(start->abi);
    if (abi == 0) {
        ARCH_UNDEFINED_INSTRUCTION(1);
        __builtin_unreachable();
    }
    kernel_abi_set(abi);
    invoke_init(start->ipc_buffer, start->num_nodes);
    bc_snprintf(prefix, sizeof prefix, "%s: ", component_name);
    print_set_prefix(prefix);
    rt_line("started");
    bool caps_ok = check_caps(start);
    send_hello(start);
    int status = component_main(start);
    component_done(caps_ok ? (seL4_Word)status : 0x100u | (seL4_Word)status, 0, 0);
}
