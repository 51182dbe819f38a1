/* init_kernel: the hand-off checks seL4 makes (the same from 13.0.0 to
 * 16.0.0), in its order and with its messages (in the words of the release
 * imitated, release.h), then the root task's address space, capabilities, BootInfo
 * and thread. _start (head.S) calls it and then restore_user_context. */
#include <stdint.h>

#include "abi.h"
#include "bootinfo.h"
#include "config.h"
#include "cspace.h"
#include "freemem.h"
#include "handoff.h"
#include "kassert.h"
#include "pagetable.h"
#include "power.h"
#include "region.h"
#include "release.h"
#include "sched.h"
#if CONFIG_KERNEL_MCS
#include "sched_context.h"
#endif
#include "sel4_abi.h"
#include "arch_boot.h"
#include "thread.h"
#include "uart.h"
#include "vspace.h"

typedef uint64_t paddr_t;
typedef int64_t sword_t;
typedef uint64_t vptr_t;

void init_kernel(paddr_t ui_p_reg_start, paddr_t ui_p_reg_end, sword_t pv_offset, vptr_t v_entry,
                 paddr_t dtb_addr_p, uint32_t dtb_size);


#if CONFIG_KERNEL_MCS
/* CONFIG_BOOT_THREAD_TIME_SLICE (5 ms) in ticks of the 62.5 MHz timer, and
 * seL4's MIN_REFILLS. */
#define ROOT_SC_BUDGET_TICKS (UINT64_C(5000) * 62500 / 1000)
#define ROOT_SC_REFILLS      2
#endif

static uint64_t *root_vspace(void)
{
    return (uint64_t *)(uintptr_t)rootserver.vspace;
}

/* A frame or page-table cap for something boot mapped into the root task's
 * VSpace: read-write, mapped under the root task's ASID. */
static struct cap mapped_cap(unsigned tag, uint64_t paddr, unsigned size_bits, uint64_t vaddr)
{
    struct cap c = cap_make(tag, paddr, size_bits);
    if (tag == SEL4_CAP_TAG_FRAME)
        c.rights = SEL4_CAN_READ | SEL4_CAN_WRITE;
    c.flags = CAP_MAPPED;
    c.asid = ROOT_TASK_ASID;
    c.mapped_vaddr = vaddr;
    return c;
}

static struct cap root_vspace_cap(void)
{
    struct cap c = cap_make(VSPACE_ROOT_CAP_TAG, kptr_to_paddr(root_vspace()), VSPACE_BITS);
    c.flags = CAP_MAPPED;
    c.asid = ROOT_TASK_ASID;
    return c;
}

/* Links every paging structure covering it_v_reg, caps in seL4's order: all
 * level-1 tables, then level-2, then level-3. */
static int create_it_address_space(const struct boot_state *s, boot_info_t *bi)
{
    cspace_set_initial(SEL4_CAP_INIT_THREAD_VSPACE, root_vspace_cap());
    arch_vspace_init_root(root_vspace());
    uint64_t next_table = rootserver.paging.start;
    bi->userImagePaging.start = cspace_first_free();
    static const unsigned level_shift[IT_PAGING_LEVELS] = IT_PAGING_TABLE_SHIFTS;
    for (unsigned level = 1; level <= IT_PAGING_LEVELS; level++) {
        unsigned shift = level_shift[level - 1];
        for (uint64_t va = ROUND_DOWN(s->it_v_reg.start, shift); va < s->it_v_reg.end;
             va += BIT(shift)) {
            user_vspace_link_table(root_vspace(), va, level, (uint64_t *)(uintptr_t)next_table);
            struct cap pt = mapped_cap(SEL4_CAP_TAG_PAGE_TABLE,
                                       kptr_to_paddr((void *)(uintptr_t)next_table),
                                       PAGE_TABLE_BITS, va);
            pt.level = (uint8_t)level;
            if (cspace_append(pt) == 0)
                return 0;
            next_table += BIT(PAGE_TABLE_BITS);
        }
    }
    bi->userImagePaging.end = cspace_first_free();
    return 1;
}

static int map_frames(uint64_t paddr_start, uint64_t paddr_end, uint64_t vaddr_start,
                      enum user_frame_rights rights, seL4_SlotRegion *caps)
{
    caps->start = cspace_first_free();
    for (uint64_t p = paddr_start, v = vaddr_start; p < paddr_end;
         p += BIT(PAGE_BITS), v += BIT(PAGE_BITS)) {
        user_vspace_map_frame(root_vspace(), v, p, rights);
        if (cspace_append(mapped_cap(SEL4_CAP_TAG_FRAME, p, PAGE_BITS, v)) == 0)
            return 0;
    }
    caps->end = cspace_first_free();
    return 1;
}

static void create_initial_thread(const struct boot_state *s)
{
    /* seL4's tcb_t pointer is the middle of the 2 KiB TCB object; the first
     * half holds the thread's own CNode slots. */
    struct tcb *tcb =
        (struct tcb *)(uintptr_t)(rootserver.tcb + BIT(abi_object_bits(SEL4_OBJECT_TCB) - 1));
    tcb->registers[REG_CAP] = s->bi_frame_vptr;
    tcb->registers[REG_NEXT_IP] = s->v_entry;
    tcb->registers[REG_STATUS] = USER_STATUS_INITIAL;
    const char name[] = "rootserver";
    for (unsigned i = 0; i < sizeof name; i++)
        tcb_ext(tcb)->name[i] = name[i];
    tcb->state = THREAD_RUNNING;
#if CONFIG_KERNEL_MCS
    /* seL4's configure_sched_context: a round-robin SchedContext with
     * CONFIG_BOOT_THREAD_TIME_SLICE, in slot seL4_CapInitThreadSC. */
    struct sched_context *sc = sc_of_object(kptr_to_paddr((void *)(uintptr_t)rootserver.sc));
    refill_new(sc, ROOT_SC_REFILLS, ROOT_SC_BUDGET_TICKS, 0);
    sc->tcb = tcb;
    tcb->sc = sc;
    ksCurSC = sc;
    cspace_set_initial(SEL4_CAP_INIT_THREAD_SC,
                       cap_make(CAP_TAG_SCHED_CONTEXT, kptr_to_paddr((void *)(uintptr_t)rootserver.sc),
                                MIN_SCHED_CONTEXT_BITS));
#endif
    tcb->priority = SEL4_MAX_PRIO;
    tcb->mcp = SEL4_MAX_PRIO;
    tcb->cspace_root = cspace_root_cnode_cap();
    tcb->vspace_root = root_vspace_cap();
    tcb->ipc_buffer_vaddr = s->ipcbuf_vptr;
    tcb->ipc_buffer_frame = mapped_cap(SEL4_CAP_TAG_FRAME,
                                       kptr_to_paddr((void *)(uintptr_t)rootserver.ipc_buf),
                                       PAGE_BITS, s->ipcbuf_vptr);
    cspace_set_initial(SEL4_CAP_INIT_THREAD_TCB,
                       cap_make(SEL4_CAP_TAG_THREAD, kptr_to_paddr((void *)(uintptr_t)rootserver.tcb),
                                abi_object_bits(SEL4_OBJECT_TCB)));
    sched_add(tcb);
    ksCurThread = tcb;
}

#if CONFIG_KERNEL_MCS
/* seL4's init_sched_control: one SchedControl cap per node. */
static void create_sched_control_caps(boot_info_t *bi)
{
    bi->schedcontrol.start = cspace_first_free();
    for (unsigned node = 0; node < MAX_NUM_NODES; node++) {
        if (cspace_append(cap_make(CAP_TAG_SCHED_CONTROL, node, 0)) == 0) {
            kprintf("can't init sched_control for node %u, provide_cap() failed\n", node);
            break;
        }
    }
    bi->schedcontrol.end = cspace_first_free();
}
#endif

static void create_control_caps(void)
{
    cspace_set_initial(SEL4_CAP_INIT_THREAD_CNODE, cspace_root_cnode_cap());
    cspace_set_initial(SEL4_CAP_IRQ_CONTROL, cap_make(SEL4_CAP_TAG_IRQ_CONTROL, 0, 0));
    cspace_set_initial(SEL4_CAP_ASID_CONTROL, cap_make(SEL4_CAP_TAG_ASID_CONTROL, 0, 0));
    cspace_set_initial(SEL4_CAP_DOMAIN, cap_make(SEL4_CAP_TAG_DOMAIN, 0, 0));
}

static void create_asid_pool(void)
{
    /* The pool's entry for the root task's ASID names its VSpace. */
    uint64_t *pool = (uint64_t *)(uintptr_t)rootserver.asid_pool;
    pool[ROOT_TASK_ASID] = rootserver.vspace;
    asid_pool_paddr = kptr_to_paddr(pool);
    cspace_set_initial(SEL4_CAP_INIT_THREAD_ASID_POOL,
                       cap_make(SEL4_CAP_TAG_ASID_POOL, asid_pool_paddr, ASID_POOL_BITS));
}

static int try_init_kernel(struct boot_state *s)
{
    vspace_activate_kernel();
    arch_init_cpu();
    kprintf("Bootstrapping kernel\n");
    arch_init_plat();
    if (!abi_check_layout())
        halt();

    if (!handoff_check_dtb(s) || !handoff_check_user_top(s))
        return 0;
    struct region kernel_image = arch_kernel_image();
    handoff_build_reserved_list(s, kernel_image.start, kernel_image.end);
    if (!init_freemem(s->reserved, s->n_reserved, s->it_v_reg, s->extra_bi_bits)) {
        kprintf("ERROR: free memory management initialization failed\n");
        return 0;
    }

    cspace_init(rootserver.cnode);
    create_control_caps();
    boot_info_t *bi = (boot_info_t *)(uintptr_t)rootserver.boot_info;
    bootinfo_populate(bi, s->ipcbuf_vptr, s->extra_len);

    if (!create_it_address_space(s, bi)) {
        kprintf("ERROR: address space creation for initial thread failed\n");
        return 0;
    }
    arch_check_user_image(s);

    user_vspace_map_frame(root_vspace(), s->bi_frame_vptr, kptr_to_paddr((void *)bi),
                          USER_FRAME_RW_XN);
    cspace_set_initial(SEL4_CAP_BOOT_INFO_FRAME,
                       mapped_cap(SEL4_CAP_TAG_FRAME, kptr_to_paddr((void *)bi), PAGE_BITS,
                                  s->bi_frame_vptr));

    if (s->extra_len > 0) {
        bootinfo_write_extra(rootserver.extra_bi, s->dtb_paddr, s->dtb_size, s->extra_len);
        uint64_t extra_p = kptr_to_paddr((void *)(uintptr_t)rootserver.extra_bi);
        /* The object is 2^extra_bi_bits bytes; like seL4, map (and give caps
         * for) only the pages extraLen covers. */
        if (!map_frames(extra_p, extra_p + ROUND_UP(s->extra_len, PAGE_BITS), s->extra_bi_vptr,
                        USER_FRAME_RW_XN, &bi->extraBIPages)) {
            kprintf("ERROR: mapping extra boot info to initial thread failed\n");
            return 0;
        }
    }

#if CONFIG_KERNEL_MCS
    /* seL4 ignores a failure here and boots on. */
    create_sched_control_caps(bi);
#endif

    user_vspace_map_frame(root_vspace(), s->ipcbuf_vptr,
                          kptr_to_paddr((void *)(uintptr_t)rootserver.ipc_buf), USER_FRAME_RW_XN);
    cspace_set_initial(SEL4_CAP_INIT_THREAD_IPC_BUFFER,
                       mapped_cap(SEL4_CAP_TAG_FRAME,
                                  kptr_to_paddr((void *)(uintptr_t)rootserver.ipc_buf), PAGE_BITS,
                                  s->ipcbuf_vptr));

    if (!map_frames(s->ui_p_reg.start, s->ui_p_reg.end, s->ui_v_reg.start, USER_FRAME_RWX,
                    &bi->userImageFrames)) {
        kprintf("ERROR: could not create all userland image frames\n");
        return 0;
    }

    create_asid_pool();
    create_initial_thread(s);

    /* Ascending: the kernel's device frames lie below RAM, the rest in or above it. */
    static const struct region kernel_frames[] = KERNEL_RESERVED_PHYS;
    struct region reserved_phys[MAX_RESERVED_REGIONS + 1 + sizeof kernel_frames / sizeof kernel_frames[0]];
    unsigned n_phys = 0;
    for (unsigned i = 0; i < sizeof kernel_frames / sizeof kernel_frames[0]; i++)
        reserved_phys[n_phys++] = kernel_frames[i];
    for (unsigned i = 0; i < s->n_reserved; i++)
        reserved_phys[n_phys++] = (struct region){ s->reserved[i].start - PPTR_BASE,
                                                   s->reserved[i].end - PPTR_BASE };
    if (s->ui_p_reg.start >= PADDR_TOP)
        reserved_phys[n_phys++] = s->ui_p_reg;
    if (!bootinfo_create_untypeds(bi, reserved_phys, n_phys))
        return 0;
    bi->empty = (seL4_SlotRegion){ cspace_first_free(), ROOT_CNODE_SLOTS };

    user_vspace_activate(root_vspace());
    arch_sync_caches_for_user();
    arch_release_secondary_cores();
    kprintf("Booting all finished, dropped to user space\n");
    return 1;
}

static __attribute__((noreturn)) void fail(const char *message, const char *file, unsigned line,
                                           const char *function)
{
    kprintf("seL4 called fail at %s:%u in function %s, saying \"%s\"\n", file, line, function,
            message);
    halt();
}

void init_kernel(paddr_t ui_p_reg_start, paddr_t ui_p_reg_end, sword_t pv_offset, vptr_t v_entry,
                 paddr_t dtb_addr_p, uint32_t dtb_size)
{
    struct boot_state s;
    handoff_init(&s, ui_p_reg_start, ui_p_reg_end, pv_offset, v_entry, dtb_addr_p, dtb_size);

    if (!try_init_kernel(&s))
        fail("ERROR: kernel init failed", __FILE__, __LINE__, __func__);
}
