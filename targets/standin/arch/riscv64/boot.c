/* init_kernel on riscv64: seL4's hand-off checks (handoff.c, shared with
 * AArch64) and free-memory set-up (freemem.c, shared), then the root task's
 * Sv39 address space, its frames, BootInfo and its thread, in the order of
 * seL4's src/arch/riscv/kernel/boot.c.
 *
 * Stage: the root task gets its address space, BootInfo (with the FDT
 * chunk) and thread, but no capabilities and no untypeds yet: the
 * architecture-neutral model (cspace, untypeds, invocations, IPC) is
 * compiled for riscv64 once the ABI table has riscv64's numbers
 * (targets/abi/); until then BootInfo's slot regions are empty. */
#include <stdint.h>

#include "abi.h"
#include "bootinfo.h"
#include "config.h"
#include "freemem.h"
#include "handoff.h"
#include "kstring.h"
#include "power.h"
#include "rv_thread.h"
#include "uart.h"
#include "vspace.h"

typedef uint64_t paddr_t;
typedef int64_t sword_t;
typedef uint64_t vptr_t;

void init_kernel(paddr_t ui_p_reg_start, paddr_t ui_p_reg_end, sword_t pv_offset, vptr_t v_entry,
                 paddr_t dtb_addr_p, uint32_t dtb_size);

/* Start and end of the kernel image, page aligned (kernel.ld). */
extern char _start[], ki_end[];

#define SSTATUS_FS_MASK (UINT64_C(3) << 13)

/* seL4's init_cpu: its trap vector (set in head.S already), the local
 * interrupt controller (seL4 says so; the stand-in enables no interrupt),
 * the FPU off until a thread uses it (sstatus.FS = Off). */
static void init_cpu(void)
{
    kprintf("Init local IRQ\n");
    __asm__ volatile("csrc sstatus, %0" : : "r"(SSTATUS_FS_MASK));
}

static uint64_t *root_vspace(void)
{
    return (uint64_t *)(uintptr_t)rootserver.vspace;
}

/* Links every paging structure covering it_v_reg below the root, in seL4's
 * order: all level-1 tables, then level-2. */
static void create_it_address_space(const struct boot_state *s)
{
    user_vspace_copy_global(root_vspace());
    uint64_t next_table = rootserver.paging.start;
    static const unsigned level_shift[IT_PAGING_LEVELS] = IT_PAGING_TABLE_SHIFTS;
    for (unsigned level = 1; level <= IT_PAGING_LEVELS; level++) {
        unsigned shift = level_shift[level - 1];
        for (uint64_t va = ROUND_DOWN(s->it_v_reg.start, shift); va < s->it_v_reg.end;
             va += BIT(shift)) {
            user_vspace_link_table(root_vspace(), va, level, (uint64_t *)(uintptr_t)next_table);
            next_table += BIT(PAGE_TABLE_BITS);
        }
    }
}

/* seL4's create_frames_of_region: one 4 KiB frame per page from the start,
 * each at its address minus the offset (no alignment check on RISC-V). */
static void map_frames(uint64_t paddr_start, uint64_t paddr_end, uint64_t vaddr_start,
                       enum user_frame_rights rights)
{
    for (uint64_t p = paddr_start, v = vaddr_start; p < paddr_end;
         p += BIT(PAGE_BITS), v += BIT(PAGE_BITS))
        user_vspace_map_frame(root_vspace(), v, p, rights);
}

static void create_initial_thread(const struct boot_state *s)
{
    /* seL4's tcb_t pointer is the middle of the TCB object. */
    struct tcb *tcb =
        (struct tcb *)(uintptr_t)(rootserver.tcb + BIT(abi_object_bits(SEL4_OBJECT_TCB) - 1));
    tcb->registers[REG_A0] = s->bi_frame_vptr;
    tcb->registers[REG_NEXT_IP] = s->v_entry;
    tcb->registers[REG_SSTATUS] = SSTATUS_USER_INITIAL;
    const char name[] = "rootserver";
    memcpy(tcb->name, name, sizeof name);
    ksCurThread = tcb;
}

static int try_init_kernel(struct boot_state *s)
{
    vspace_activate_kernel();
    init_cpu();
    kprintf("Bootstrapping kernel\n");
    /* seL4's init_plat: the PLIC (left alone here: no interrupts are used). */
    kprintf("Initializing PLIC...\n");

    if (!handoff_check_dtb(s) || !handoff_check_user_top(s))
        return 0;
    handoff_build_reserved_list(s, kimg_to_paddr(_start), kimg_to_paddr(ki_end));
    if (!init_freemem(s->reserved, s->n_reserved, s->it_v_reg, s->extra_bi_bits)) {
        kprintf("ERROR: free memory management initialization failed\n");
        return 0;
    }

    boot_info_t *bi = (boot_info_t *)(uintptr_t)rootserver.boot_info;
    bootinfo_populate(bi, s->ipcbuf_vptr, s->extra_len);
    if (s->extra_len > 0)
        bootinfo_write_extra(rootserver.extra_bi, s->dtb_paddr, s->dtb_size, s->extra_len);

    create_it_address_space(s);
    user_vspace_map_frame(root_vspace(), s->bi_frame_vptr, kptr_to_paddr(bi), USER_FRAME_RW_XN);
    if (s->extra_len > 0) {
        uint64_t extra_p = kptr_to_paddr((void *)(uintptr_t)rootserver.extra_bi);
        map_frames(extra_p, extra_p + ROUND_UP(s->extra_len, PAGE_BITS), s->extra_bi_vptr,
                   USER_FRAME_RW_XN);
    }
    user_vspace_map_frame(root_vspace(), s->ipcbuf_vptr,
                          kptr_to_paddr((void *)(uintptr_t)rootserver.ipc_buf), USER_FRAME_RW_XN);
    /* The image frames start at ui_p_reg.start itself, page by page. */
    map_frames(s->ui_p_reg.start, s->ui_p_reg.end, s->ui_v_reg.start, USER_FRAME_RWX);

    /* The ASID pool's entry for the root task's ASID names its VSpace. */
    ((uint64_t *)(uintptr_t)rootserver.asid_pool)[ROOT_TASK_ASID] = rootserver.vspace;
    create_initial_thread(s);
    bi->empty = (seL4_SlotRegion){ 0, 0 };

    user_vspace_switch(kptr_to_paddr(root_vspace()), ROOT_TASK_ASID);
    /* Instruction fetches of the root task must see what the loader wrote. */
    __asm__ volatile("fence.i" : : : "memory");
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
