#include "spawn.h"

#include <stdarg.h>

#include "alloc.h"
#include "component_abi.h"
#include "elf_image.h"
#include "fmt.h"
#include "invoke.h"
#include "map.h"
#include "print.h"

#define PAGE_SIZE 0x1000ull
#define PAGE_MASK (PAGE_SIZE - 1)
/* Where the root task maps each frame it fills, one page after the other,
 * in its own VSpace (far from its image at 0x400000). */
#define COPY_WINDOW_BASE 0x30000000ull
/* Object sizes the allocator must find room for. The VSpace is taken at
 * the hyp build's 2^13 (EL1: 2^12): over-estimating keeps the root task's
 * watermark at or above the kernel's, so a retype never fails for lack of
 * room the root task thought was there. */
#define VSPACE_ALLOC_BITS SEL4_VSPACE_BITS_HYP
#define CNODE_OBJECT_BITS (COMPONENT_CNODE_BITS + SEL4_SLOT_BITS)

static char failure[200];
static seL4_Word endpoint_slot;
static seL4_Word copy_window_next = COPY_WINDOW_BASE;

const char *spawn_failure(void)
{
    return failure;
}

seL4_Word spawn_endpoint(void)
{
    return endpoint_slot;
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

bool spawn_init(const seL4_BootInfo *bi)
{
    alloc_init(bi);
    invoke_init(bi->ipcBuffer);
    endpoint_slot = alloc_object(SEL4_ENDPOINT_OBJECT, 0, SEL4_ENDPOINT_BITS);
    if (endpoint_slot == 0)
        return failed("(endpoint)", "%s", alloc_last_failure());
    return true;
}

/* What a component being built holds: slots in the root CNode. */
struct child {
    const struct component *c;
    seL4_Word tcb, vspace, cnode, ipc_frame;
    unsigned frames;
};

static bool object(struct child *ch, seL4_Word *slot, seL4_Word type, seL4_Word size_bits,
                   unsigned object_bits)
{
    *slot = alloc_object(type, size_bits, object_bits);
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

/* One page of the child: a fresh (zeroed) frame, filled through the copy
 * window when `fill` has bytes for it, then a copy of its cap mapped into
 * the child with the segment's rights. */
static bool load_page(struct child *ch, seL4_Word vaddr, const uint8_t *fill, uint64_t fill_offset,
                      uint64_t fill_len, seL4_Word rights, seL4_Word attr, seL4_Word *frame_out)
{
    seL4_Word frame;
    if (!object(ch, &frame, SEL4_ARM_SMALL_PAGE_OBJECT, 0, SEL4_PAGE_BITS))
        return false;
    if (fill_len > 0) {
        seL4_Word window = copy_window_next;
        copy_window_next += PAGE_SIZE;
        if (!mapped(ch, map_frame(frame, SEL4_CAP_INIT_THREAD_VSPACE, window,
                                  SEL4_CAN_READ | SEL4_CAN_WRITE,
                                  SEL4_ARM_DEFAULT_VM_ATTRIBUTES | SEL4_ARM_EXECUTE_NEVER)))
            return false;
        uint8_t *dst = (uint8_t *)(uintptr_t)window + fill_offset;
        for (uint64_t i = 0; i < fill_len; i++)
            dst[i] = fill[i];
        /* A frame cap maps once; the copy (unmapped) goes to the child. */
        seL4_Word copy = alloc_slot();
        if (copy == 0)
            return failed(ch->c->name, "%s", alloc_last_failure());
        if (!checked(ch, cnode_copy(SEL4_CAP_INIT_THREAD_CNODE, copy, SEL4_WORD_BITS,
                                    SEL4_CAP_INIT_THREAD_CNODE, frame, SEL4_WORD_BITS,
                                    SEL4_ALL_RIGHTS)))
            return false;
        frame = copy;
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
    seL4_Word attr = SEL4_ARM_DEFAULT_VM_ATTRIBUTES |
                     ((s->flags & ELF_PF_X) ? 0 : SEL4_ARM_EXECUTE_NEVER);
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
 * half-way. Page tables: at most 3 per 2 MiB span touched (EL1 build). */
static uint64_t bytes_needed(const struct elf_image *elf, uint64_t *pages_out)
{
    uint64_t pages = COMPONENT_STACK_PAGES + 1, tables = 2 * 3;   /* stack, IPC buffer */
    for (unsigned i = 0; i < elf->n_segments; i++) {
        const struct elf_segment *s = &elf->segments[i];
        uint64_t first = s->vaddr & ~PAGE_MASK, end = (s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK;
        pages += (end - first) / PAGE_SIZE;
        tables += 3 + (end - first) / (2ull << 20);
    }
    *pages_out = pages;
    return (pages + tables) * PAGE_SIZE + (1ull << VSPACE_ALLOC_BITS) +
           (1ull << SEL4_TCB_BITS) + (1ull << CNODE_OBJECT_BITS);
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

static bool give_caps(struct child *ch, seL4_Word badge, seL4_Word *endpoint_cptr)
{
    *endpoint_cptr = 0;
    for (unsigned i = 0; i < ch->c->n_caps; i++) {
        seL4_Word dest = COMPONENT_FIRST_CAP_SLOT + i, error;
        switch (ch->c->caps[i]) {
        case COMPONENT_CAP_ENDPOINT:
            error = cnode_mint(ch->cnode, dest, COMPONENT_CNODE_BITS, SEL4_CAP_INIT_THREAD_CNODE,
                               endpoint_slot, SEL4_WORD_BITS, SEL4_ALL_RIGHTS, badge);
            *endpoint_cptr = dest;
            break;
        case COMPONENT_CAP_TCB:
            error = cnode_copy(ch->cnode, dest, COMPONENT_CNODE_BITS, SEL4_CAP_INIT_THREAD_CNODE,
                               ch->tcb, SEL4_WORD_BITS, SEL4_ALL_RIGHTS);
            break;
        case COMPONENT_CAP_CNODE:
            error = cnode_copy(ch->cnode, dest, COMPONENT_CNODE_BITS, SEL4_CAP_INIT_THREAD_CNODE,
                               ch->cnode, SEL4_WORD_BITS, SEL4_ALL_RIGHTS);
            break;
        default:   /* COMPONENT_CAP_VSPACE */
            error = cnode_copy(ch->cnode, dest, COMPONENT_CNODE_BITS, SEL4_CAP_INIT_THREAD_CNODE,
                               ch->vspace, SEL4_WORD_BITS, SEL4_ALL_RIGHTS);
            break;
        }
        if (!checked(ch, error))
            return false;
    }
    return true;
}

bool spawn_component(unsigned index)
{
    struct child ch = { .c = &components[index] };
    const char *name = ch.c->name;
    struct elf_image elf;
    char why[120];
    if (elf_image_read(ch.c->elf, (size_t)(ch.c->elf_end - ch.c->elf), &elf, why, sizeof why) != 0)
        return failed(name, "bad ELF: %s", why);
    if (!check_layout(&ch, &elf))
        return false;
    uint64_t pages, need = bytes_needed(&elf, &pages);
    if (need > alloc_free_bytes())
        return failed(name, "does not fit in memory: needs 0x%lx bytes (%lu pages plus kernel "
                      "objects), RAM untypeds have 0x%lx bytes free",
                      (unsigned long)need, (unsigned long)pages, (unsigned long)alloc_free_bytes());

    if (!object(&ch, &ch.tcb, SEL4_TCB_OBJECT, 0, SEL4_TCB_BITS) ||
        !object(&ch, &ch.vspace, SEL4_ARM_VSPACE_OBJECT, 0, VSPACE_ALLOC_BITS) ||
        !object(&ch, &ch.cnode, SEL4_CAP_TABLE_OBJECT, COMPONENT_CNODE_BITS, CNODE_OBJECT_BITS) ||
        !checked(&ch, asid_pool_assign(SEL4_CAP_INIT_THREAD_ASID_POOL, ch.vspace)))
        return false;

    for (unsigned i = 0; i < elf.n_segments; i++)
        if (!load_segment(&ch, &elf.segments[i]))
            return false;
    uint64_t stack_bottom = COMPONENT_STACK_TOP - COMPONENT_STACK_PAGES * PAGE_SIZE;
    for (uint64_t page = stack_bottom; page < COMPONENT_STACK_TOP; page += PAGE_SIZE)
        if (!load_page(&ch, page, 0, 0, 0, SEL4_CAN_READ | SEL4_CAN_WRITE,
                       SEL4_ARM_DEFAULT_VM_ATTRIBUTES | SEL4_ARM_EXECUTE_NEVER, 0))
            return false;
    if (!load_page(&ch, COMPONENT_IPC_BUFFER, 0, 0, 0, SEL4_CAN_READ | SEL4_CAN_WRITE,
                   SEL4_ARM_DEFAULT_VM_ATTRIBUTES | SEL4_ARM_EXECUTE_NEVER, &ch.ipc_frame))
        return false;

    seL4_Word badge = COMPONENT_BADGE(index), endpoint_cptr;
    if (!give_caps(&ch, badge, &endpoint_cptr))
        return false;
    if (!checked(&ch, tcb_configure(ch.tcb, 0, ch.cnode,
                                    SEL4_CNODE_CAP_DATA(0, SEL4_WORD_BITS - COMPONENT_CNODE_BITS),
                                    ch.vspace, 0, COMPONENT_IPC_BUFFER, ch.ipc_frame)) ||
        !checked(&ch, tcb_set_priority(ch.tcb, SEL4_CAP_INIT_THREAD_TCB, COMPONENT_PRIORITY)) ||
        !checked(&ch, tcb_write_registers(ch.tcb, 0, elf.entry, COMPONENT_STACK_TOP, endpoint_cptr,
                                          COMPONENT_IPC_BUFFER)))
        return false;

    char key[64];
    bc_snprintf(key, sizeof key, "spawn.%s.entry", name);
    rt_fact(key, "0x%lx", (unsigned long)elf.entry);
    bc_snprintf(key, sizeof key, "spawn.%s.frames", name);
    rt_fact(key, "%u", ch.frames);
    bc_snprintf(key, sizeof key, "spawn.%s.badge", name);
    rt_fact(key, "0x%lx", (unsigned long)badge);
    return checked(&ch, tcb_resume(ch.tcb));
}
