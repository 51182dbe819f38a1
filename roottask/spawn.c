#include "spawn.h"

#include <stdarg.h>

#include "alloc.h"
#include "arch.h"
#include "component_abi.h"
#include "elf_image.h"
#include "fmt.h"
#include "invoke.h"
#include "kernel_abi.h"
#include "map.h"
#include "print.h"
#include "spawner.h"

#define PAGE_SIZE 0x1000ull
#define PAGE_MASK (PAGE_SIZE - 1)
/* Where a spawner maps each frame it fills, one page after the other, in
 * its own VSpace (far from the root task's image at 0x400000 and from the
 * components' images at 0x10000000 and up). */
#define COPY_WINDOW_BASE 0x30000000ull
#define COPY_WINDOW_BASE_DELEGATED 0x3000000000ull
/* A child's slot-1 cap: send, and grant-reply so it is a valid fault
 * endpoint (seL4 needs Grant or GrantReply there) and its done-Call blocks. */
#define PARENT_CAP_RIGHTS (SEL4_CAN_WRITE | SEL4_CAN_GRANT_REPLY)

struct spawner spawner;
static char failure[200];

const char *spawn_failure(void)
{
    return failure;
}

seL4_Word spawn_endpoint(void)
{
    return spawner.endpoint;
}

static bool failed(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool failed(const char *name, const char *fmt, ...)
{
    int n = bc_snprintf(failure, sizeof failure, "spawn %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    bc_vsnprintf(failure + n, sizeof failure - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

bool spawn_make_endpoint(void)
{
    spawner.window = spawner.self == REGISTRY_OWNER_ROOT ? COPY_WINDOW_BASE
                                                         : COPY_WINDOW_BASE_DELEGATED;
    spawner.endpoint = alloc_kernel_object(SEL4_OBJECT_Endpoint, 0);
    if (spawner.endpoint == 0)
        return failed("(endpoint)", "%s", alloc_last_failure());
    return true;
}

bool spawn_init_delegated(const struct registry *reg, const struct delegation *d)
{
    alloc_init_delegated(d->cnode, d->untyped, d->memory_bits, d->first_free_slot,
                         (seL4_Word)1 << d->cnode_bits);
    invoke_init(COMPONENT_IPC_BUFFER, d->num_nodes);
    spawner = (struct spawner){ .reg = reg, .self = d->self, .cnode = d->cnode,
                                .vspace = d->vspace, .asid_pool = d->asid_pool, .tcb = d->tcb,
                                .sched_control = d->sched_control };
    return spawn_make_endpoint();
}

bool spawn_is_child(unsigned index)
{
    return index < spawner.reg->n_components &&
           spawner.reg->components[index].parent == spawner.self;
}

/* What each registry object type is retyped as (its number and size come
 * from the kernel's ABI). */
static const enum sel4_object object_kind[] = {
    [REGISTRY_OBJECT_ENDPOINT] = SEL4_OBJECT_Endpoint,
    [REGISTRY_OBJECT_NOTIFICATION] = SEL4_OBJECT_Notification,
    [REGISTRY_OBJECT_FRAME] = ARCH_OBJECT_PAGE,
};

bool spawn_objects(void)
{
    const struct registry *reg = spawner.reg;
    for (unsigned i = 0; i < reg->n_objects && i < SPAWN_MAX_OBJECTS; i++) {
        const struct registry_object *o = &reg->objects[i];
        if (o->owner != spawner.self)
            continue;
        spawner.object_slot[i] = alloc_kernel_object(object_kind[o->type], 0);
        if (spawner.object_slot[i] == 0)
            return failed(o->name, "(object) %s", alloc_last_failure());
    }
    return true;
}

/* What a component being built holds: slots in the spawner's CNode. */
struct child {
    const struct component *c;
    unsigned index;
    seL4_Word tcb, vspace, cnode, ipc_frame;
    seL4_Word sched_context;   /* MCS: the SchedContext its thread runs on */
    unsigned frames;
    seL4_Word tags;   /* x3: cap tag of each granted slot */
};

static bool object(struct child *ch, seL4_Word *slot, enum sel4_object kind, seL4_Word size_bits)
{
    *slot = alloc_kernel_object(kind, size_bits);
    return *slot != 0 || failed(ch->c->name, "%s", alloc_last_failure());
}

static bool mapped(struct child *ch, seL4_Word error)
{
    if (error == SEL4_NO_ERROR)
        return true;
    return failed(ch->c->name, "%s", error == MAP_ALLOC_FAILED ? alloc_last_failure()
                                                               : invoke_last_failure());
}

static bool checked(struct child *ch, seL4_Word error)
{
    return error == SEL4_NO_ERROR || failed(ch->c->name, "%s", invoke_last_failure());
}

/* A copy of the cap in the spawner's slot `src`, in a fresh slot of its own
 * (a frame cap maps once: each mapping needs a copy). */
static bool copy_cap(struct child *ch, seL4_Word src, seL4_Word rights, seL4_Word *out)
{
    *out = alloc_slot();
    if (*out == 0)
        return failed(ch->c->name, "%s", alloc_last_failure());
    return checked(ch, cnode_copy(spawner.cnode, *out, SEL4_WORD_BITS, spawner.cnode, src,
                                  SEL4_WORD_BITS, rights));
}

/* One page of the child: a fresh (zeroed) frame, filled through the copy
 * window when `fill` has bytes for it, then a copy of its cap mapped into
 * the child with the segment's rights. */
static bool load_page(struct child *ch, seL4_Word vaddr, const uint8_t *fill, uint64_t fill_offset,
                      uint64_t fill_len, seL4_Word rights, seL4_Word attr, seL4_Word *frame_out)
{
    seL4_Word frame;
    if (!object(ch, &frame, ARCH_OBJECT_PAGE, 0))
        return false;
    if (fill_len > 0) {
        seL4_Word window = spawner.window;
        spawner.window += PAGE_SIZE;
        if (!mapped(ch, map_frame(frame, spawner.vspace, window, SEL4_CAN_READ | SEL4_CAN_WRITE,
                                  ARCH_VM_DEFAULT | ARCH_VM_EXECUTE_NEVER)))
            return false;
        uint8_t *dst = (uint8_t *)(uintptr_t)window + fill_offset;
        for (uint64_t i = 0; i < fill_len; i++)
            dst[i] = fill[i];
        if (!copy_cap(ch, frame, SEL4_ALL_RIGHTS, &frame))
            return false;
    }
    ch->frames++;
    if (frame_out != 0)
        *frame_out = frame;
    return mapped(ch, map_frame(frame, ch->vspace, vaddr, rights, attr));
}

static bool load_segment(struct child *ch, const struct elf_segment *s)
{
    /* Text and rodata: read + execute; data and bss: read-write, never executable. */
    seL4_Word rights = (s->flags & ELF_PF_W) ? (SEL4_CAN_READ | SEL4_CAN_WRITE) : SEL4_CAN_READ;
    seL4_Word attr = ARCH_VM_DEFAULT |
                     ((s->flags & ELF_PF_X) ? 0 : ARCH_VM_EXECUTE_NEVER);
    uint64_t file_end = s->vaddr + s->filesz;
    for (uint64_t page = s->vaddr & ~PAGE_MASK; page < s->vaddr + s->memsz; page += PAGE_SIZE) {
        /* The part of [vaddr, vaddr + filesz) inside this page. */
        uint64_t from = page > s->vaddr ? page : s->vaddr;
        uint64_t to = page + PAGE_SIZE < file_end ? page + PAGE_SIZE : file_end;
        uint64_t len = to > from ? to - from : 0;
        if (!load_page(ch, page, s->data + (from - s->vaddr), from - page, len, rights, attr, 0))
            return false;
    }
    return true;
}

/* Bytes of RAM the child needs, counted before anything is retyped, so a
 * child that cannot fit is refused with the numbers instead of failing
 * half-way. Page tables: at most 3 per 2 MiB span touched (EL1 build); on
 * MCS a SchedContext and a Reply object. gen_components.py makes the same
 * estimate for a manifest's memory_bits (with every configuration's
 * largest sizes). */
static uint64_t bytes_needed(const struct component *c, const struct elf_image *elf,
                             uint64_t *pages_out)
{
    uint64_t pages = COMPONENT_STACK_PAGES + 1, tables = 2 * 3;   /* stack, IPC buffer */
    for (unsigned i = 0; i < elf->n_segments; i++) {
        const struct elf_segment *s = &elf->segments[i];
        uint64_t first = s->vaddr & ~PAGE_MASK, end = (s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK;
        pages += (end - first) / PAGE_SIZE;
        tables += 3 + (end - first) / (2ull << 20);
    }
    *pages_out = pages;
    uint64_t untyped = c->memory_bits != 0 ? 1ull << c->memory_bits : 0;
    uint64_t mcs_objects = kernel_is_mcs()
        ? (1ull << kernel_object_bits(SEL4_OBJECT_SchedContext, kernel_abi->object_bits[SEL4_OBJECT_SchedContext])) +
          (1ull << kernel_object_bits(SEL4_OBJECT_Reply, 0))
        : 0;
    return (pages + tables) * PAGE_SIZE + (1ull << kernel_object_bits(ARCH_OBJECT_VSPACE, 0)) +
           (1ull << kernel_object_bits(SEL4_OBJECT_TCB, 0)) +
           (1ull << kernel_object_bits(SEL4_OBJECT_CapTable, c->cnode_bits)) + untyped + mcs_objects;
}

static bool check_layout(struct child *ch, const struct elf_image *elf)
{
    uint64_t stack_bottom = COMPONENT_STACK_TOP - COMPONENT_STACK_PAGES * PAGE_SIZE;
    for (unsigned i = 0; i < elf->n_segments; i++) {
        const struct elf_segment *s = &elf->segments[i];
        if (s->vaddr < COMPONENT_IMAGE_BASE || s->vaddr + s->memsz > stack_bottom)
            return failed(ch->c->name,
                          "segment [0x%lx, 0x%lx) outside [0x%lx, 0x%lx), where components link",
                          (unsigned long)s->vaddr, (unsigned long)(s->vaddr + s->memsz),
                          (unsigned long)COMPONENT_IMAGE_BASE, (unsigned long)stack_bottom);
    }
    return true;
}

/* The manifest's frames, mapped at COMPONENT_FRAME_BASE up with its rights. */
static bool map_frames(struct child *ch)
{
    for (unsigned k = 0; k < ch->c->n_frames; k++) {
        const struct component_frame *f = &ch->c->frames[k];
        seL4_Word copy;
        if (!copy_cap(ch, spawner.object_slot[f->object], SEL4_ALL_RIGHTS, &copy) ||
            !mapped(ch, map_frame(copy, ch->vspace, COMPONENT_FRAME_BASE + k * PAGE_SIZE,
                                  f->rights, ARCH_VM_DEFAULT | ARCH_VM_EXECUTE_NEVER)))
            return false;
    }
    return true;
}

/* A child that spawns gets the registry pages read-only at the addresses
 * they have here, so the registry's pointers hold there too. Only the root
 * task has the frame caps of the pages (its image frames). */
static bool map_registry(struct child *ch)
{
    if (spawner.registry_limit == 0)
        return failed(ch->c->name, "only the root task can map the registry for a spawning child");
    for (seL4_Word va = spawner.registry_base; va < spawner.registry_limit; va += PAGE_SIZE) {
        seL4_Word copy, frame = spawner.image_frames + (va - spawner.image_base) / PAGE_SIZE;
        if (!copy_cap(ch, frame, SEL4_CAN_READ, &copy) ||
            !mapped(ch, map_frame(copy, ch->vspace, va, SEL4_CAN_READ,
                                  ARCH_VM_DEFAULT | ARCH_VM_EXECUTE_NEVER)))
            return false;
    }
    return true;
}

static bool has_children(unsigned index)
{
    for (unsigned i = 0; i < spawner.reg->n_components; i++)
        if (spawner.reg->components[i].parent == index)
            return true;
    return false;
}

/* Slot 1 (the parent's endpoint, badged) and the manifest's caps in slots
 * 2, 3, ...; ch->tags gets each slot's cap tag for the child's own check.
 * An MCS-only cap (reply, sched_context, sched_control) on a non-MCS
 * kernel leaves its slot empty (tag 0). */
static bool give_caps(struct child *ch)
{
    const struct component *c = ch->c;
    seL4_Word bits = c->cnode_bits;
    if (!checked(ch, cnode_mint(ch->cnode, COMPONENT_PARENT_SLOT, bits, spawner.cnode,
                                spawner.endpoint, SEL4_WORD_BITS, PARENT_CAP_RIGHTS,
                                COMPONENT_BADGE(ch->index))))
        return false;
    ch->tags = SEL4_CAP_TAG_ENDPOINT;
    for (unsigned i = 0; i < c->n_caps; i++) {
        const struct component_cap *cap = &c->caps[i];
        seL4_Word dest = COMPONENT_FIRST_CAP_SLOT + i, error = SEL4_NO_ERROR, tag, src = 0;
        switch (cap->kind) {
        case COMPONENT_CAP_TCB:
            tag = SEL4_CAP_TAG_THREAD;
            src = ch->tcb;
            break;
        case COMPONENT_CAP_CNODE:
            /* With its CSpace's guard, so depth-64 cptrs resolve through it. */
            tag = SEL4_CAP_TAG_CNODE;
            error = cnode_mint(ch->cnode, dest, bits, spawner.cnode, ch->cnode, SEL4_WORD_BITS,
                               SEL4_ALL_RIGHTS, SEL4_CNODE_CAP_DATA(0, SEL4_WORD_BITS - bits));
            break;
        case COMPONENT_CAP_VSPACE:
            tag = kernel_cap_tag(ARCH_CAPTAG_VSPACE);   /* riscv64: a page_table cap */
            src = ch->vspace;
            break;
        case COMPONENT_CAP_UNTYPED:
            tag = SEL4_CAP_TAG_UNTYPED;
            if (!object(ch, &src, SEL4_OBJECT_Untyped, c->memory_bits))
                return false;
            break;
        case COMPONENT_CAP_ASID_POOL:
            tag = SEL4_CAP_TAG_ASID_POOL;
            src = spawner.asid_pool;
            break;
        case COMPONENT_CAP_REPLY:
            tag = kernel_cap_tag(SEL4_CAPTAG_reply);
            if (kernel_is_mcs() && !object(ch, &src, SEL4_OBJECT_Reply, 0))
                return false;
            break;
        case COMPONENT_CAP_SCHED_CONTEXT:
            tag = kernel_cap_tag(SEL4_CAPTAG_sched_context);
            src = ch->sched_context;
            break;
        case COMPONENT_CAP_SCHED_CONTROL:
            tag = kernel_cap_tag(SEL4_CAPTAG_sched_control);
            src = spawner.sched_control;
            if (kernel_is_mcs() && src == 0)
                return failed(c->name, "its manifest grants sched_control, which %s does not hold",
                              spawner.self == REGISTRY_OWNER_ROOT ? "the root task"
                                                                  : spawner.reg->components[spawner.self].name);
            break;
        default: {   /* COMPONENT_CAP_OBJECT */
            const struct registry_object *o = &spawner.reg->objects[cap->object];
            tag = o->type == REGISTRY_OBJECT_ENDPOINT ? SEL4_CAP_TAG_ENDPOINT
                                                      : SEL4_CAP_TAG_NOTIFICATION;
            error = cnode_mint(ch->cnode, dest, bits, spawner.cnode, spawner.object_slot[cap->object],
                               SEL4_WORD_BITS, cap->rights, cap->badge);
            break;
        }
        }
        bool mcs_only = cap->kind == COMPONENT_CAP_REPLY || cap->kind == COMPONENT_CAP_SCHED_CONTEXT ||
                        cap->kind == COMPONENT_CAP_SCHED_CONTROL;
        if (mcs_only && !kernel_is_mcs())
            continue;   /* no such object without MCS: the slot stays empty */
        if (src != 0)
            error = cnode_copy(ch->cnode, dest, bits, spawner.cnode, src, SEL4_WORD_BITS,
                               SEL4_ALL_RIGHTS);
        if (!checked(ch, error))
            return false;
        ch->tags |= tag << (COMPONENT_TAG_BITS * (dest - 1));
    }
    return true;
}

/* MCS: the SchedContext the child's thread will run on, with the
 * manifest's budget every period, from the spawner's SchedControl. */
static bool make_sched_context(struct child *ch)
{
    if (spawner.sched_control == 0)
        return failed(ch->c->name, "no SchedControl cap to give it a SchedContext (MCS kernel; "
                      "its parent's manifest entry must grant sched_control)");
    return object(ch, &ch->sched_context, SEL4_OBJECT_SchedContext,
                  kernel_abi->object_bits[SEL4_OBJECT_SchedContext]) &&
           checked(ch, sched_control_configure_flags(spawner.sched_control, ch->sched_context,
                                                     ch->c->budget_us, ch->c->period_us, 0, 0, 0));
}

/* MCP (a spawning child's priority: the most it can give its own
 * children, else 0), priority and, on MCS, the SchedContext and the fault
 * endpoint: a badged copy of the spawner's endpoint in the spawner's own
 * CSpace, which the kernel copies into the TCB (non-MCS kernels look the
 * fault endpoint up in the child's CSpace: its slot 1, given to
 * TCB_Configure). Our own TCB is the authority (seL4 checks our MCP). */
static bool set_scheduling(struct child *ch, bool spawns)
{
    seL4_Word prio = ch->c->priority;
    if (!kernel_is_mcs())
        return (!spawns || checked(ch, tcb_set_mc_priority(ch->tcb, spawner.tcb, prio))) &&
               checked(ch, tcb_set_priority(ch->tcb, spawner.tcb, prio));
    seL4_Word fault_ep = alloc_slot();
    if (fault_ep == 0)
        return failed(ch->c->name, "%s", alloc_last_failure());
    return checked(ch, cnode_mint(spawner.cnode, fault_ep, SEL4_WORD_BITS, spawner.cnode,
                                  spawner.endpoint, SEL4_WORD_BITS, PARENT_CAP_RIGHTS,
                                  COMPONENT_BADGE(ch->index))) &&
           checked(ch, tcb_set_sched_params(ch->tcb, spawner.tcb, spawns ? prio : 0, prio,
                                            ch->sched_context, fault_ep));
}

static void print_facts(const struct child *ch, seL4_Word entry)
{
    char key[64];
    const char *name = ch->c->name;
    bc_snprintf(key, sizeof key, "spawn.%s.entry", name);
    rt_fact(key, "0x%lx", (unsigned long)entry);
    bc_snprintf(key, sizeof key, "spawn.%s.frames", name);
    rt_fact(key, "%u", ch->frames);
    bc_snprintf(key, sizeof key, "spawn.%s.badge", name);
    rt_fact(key, "0x%lx", (unsigned long)COMPONENT_BADGE(ch->index));
    bc_snprintf(key, sizeof key, "spawn.%s.slots", name);
    rt_fact(key, "%u 0x%lx", 1 + ch->c->n_caps, (unsigned long)ch->tags);
}

bool spawn_component(unsigned index)
{
    struct child ch = { .c = &spawner.reg->components[index], .index = index };
    const char *name = ch.c->name;
    struct elf_image elf;
    char why[120];
    if (elf_image_read(ch.c->elf, (size_t)(ch.c->elf_end - ch.c->elf), &elf, why, sizeof why) != 0)
        return failed(name, "bad ELF: %s", why);
    if (!check_layout(&ch, &elf))
        return false;
    uint64_t pages, need = bytes_needed(ch.c, &elf, &pages);
    if (need > alloc_free_bytes())
        return failed(name, "does not fit in memory: needs 0x%lx bytes (%lu pages plus kernel "
                      "objects), RAM untypeds have 0x%lx bytes free",
                      (unsigned long)need, (unsigned long)pages, (unsigned long)alloc_free_bytes());

    if (!object(&ch, &ch.tcb, SEL4_OBJECT_TCB, 0) ||
        !object(&ch, &ch.vspace, ARCH_OBJECT_VSPACE, 0) ||
        !object(&ch, &ch.cnode, SEL4_OBJECT_CapTable, ch.c->cnode_bits) ||
        !checked(&ch, asid_pool_assign(spawner.asid_pool, ch.vspace)) ||
        (kernel_is_mcs() && !make_sched_context(&ch)))
        return false;

    for (unsigned i = 0; i < elf.n_segments; i++)
        if (!load_segment(&ch, &elf.segments[i]))
            return false;
    uint64_t stack_bottom = COMPONENT_STACK_TOP - COMPONENT_STACK_PAGES * PAGE_SIZE;
    for (uint64_t page = stack_bottom; page < COMPONENT_STACK_TOP; page += PAGE_SIZE)
        if (!load_page(&ch, page, 0, 0, 0, SEL4_CAN_READ | SEL4_CAN_WRITE,
                       ARCH_VM_DEFAULT | ARCH_VM_EXECUTE_NEVER, 0))
            return false;
    if (!load_page(&ch, COMPONENT_IPC_BUFFER, 0, 0, 0, SEL4_CAN_READ | SEL4_CAN_WRITE,
                   ARCH_VM_DEFAULT | ARCH_VM_EXECUTE_NEVER, &ch.ipc_frame))
        return false;
    bool spawns = has_children(index);
    if (!map_frames(&ch) || (spawns && !map_registry(&ch)) || !give_caps(&ch))
        return false;

    seL4_Word x[COMPONENT_START_REGISTERS] = {
        COMPONENT_PARENT_SLOT, COMPONENT_IPC_BUFFER, 1 + ch.c->n_caps, ch.tags, ch.c->cnode_bits,
        invoke_num_nodes(), spawns ? (seL4_Word)(uintptr_t)spawner.reg : 0, index,
        sel4_abi_word(kernel_abi),
    };
    seL4_Word guard = SEL4_CNODE_CAP_DATA(0, SEL4_WORD_BITS - ch.c->cnode_bits);
    if (!checked(&ch, tcb_configure(ch.tcb, COMPONENT_PARENT_SLOT, ch.cnode, guard, ch.vspace, 0,
                                    COMPONENT_IPC_BUFFER, ch.ipc_frame)) ||
        !set_scheduling(&ch, spawns) ||
        !checked(&ch, tcb_write_registers(ch.tcb, 0, elf.entry, COMPONENT_STACK_TOP, x,
                                          COMPONENT_START_REGISTERS)))
        return false;
    print_facts(&ch, elf.entry);
    return checked(&ch, tcb_resume(ch.tcb));
}
