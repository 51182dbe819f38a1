/* The boot plan: where the kernel, the DTB copy and the root task go in
 * physical memory, and the six hand-off register values seL4 expects.
 *
 * Computed once from the validated inputs, before any byte is copied, by the
 * same code in the loader (at boot) and on the host (the pack step and the
 * tests that check what the loader did). A plan that would overlap the loader,
 * leave RAM or break seL4's placement rules is refused with one sentence. */
#ifndef BOOTCHECK_PLAN_H
#define BOOTCHECK_PLAN_H

#include <stdint.h>

#include "elf.h"

#define PLAN_ERR_LEN 200
#define PLAN_MAX_RAM 8

struct mem_range {
    uint64_t start, end;   /* [start, end) */
};

struct plan_inputs {
    const struct elf_image *kernel;
    const struct elf_image *roottask;
    uint64_t dtb_size;                 /* 0: no DTB is handed over */
    struct mem_range ram[PLAN_MAX_RAM];
    unsigned nram;
    struct mem_range loader;           /* everything the loader itself occupies */
};

enum kernel_flavour {
    KERNEL_EL1 = 1,   /* linked in the upper half, reached through TTBR1_EL1 */
    KERNEL_HYP = 2,   /* linked in the lower half, runs at EL2 on TTBR0_EL2 */
};

struct boot_plan {
    enum kernel_flavour flavour;
    uint64_t kernel_entry;             /* virtual */
    struct mem_range kernel_phys;      /* page-rounded */
    uint64_t kernel_virt_offset;       /* vaddr - paddr of every kernel segment */
    struct mem_range dtb_phys;         /* empty when no DTB */
    struct mem_range user_phys;        /* [x0, x1) */
    struct mem_range user_virt;        /* page-rounded */
    uint64_t user_pv_offset;           /* x2 = phys - virt (two's complement) */
    uint64_t handoff[6];               /* x0..x5 */
};

int plan_boot(const struct plan_inputs *in, struct boot_plan *plan, char err[PLAN_ERR_LEN]);

/* How many cores the kernel needs (seL4's CONFIG_MAX_NUM_NODES): seL4 gives
 * every core a 4 KiB kernel stack in one array, kernel_stack_alloc
 * [MAX_NUM_NODES][BIT(KERNEL_STACK_BITS)], and waits at boot until all of
 * them have arrived, so that symbol's size / 4 KiB is the count. 1 when the
 * kernel has no such symbol (not seL4-like: nothing to start). */
#define PLAN_KERNEL_STACK_SIZE 0x1000u
unsigned plan_kernel_nodes(const struct elf_image *kernel);

/* Physical destination of a root-task segment under a plan. */
static inline uint64_t plan_user_paddr(const struct boot_plan *plan, uint64_t vaddr)
{
    return vaddr + plan->user_pv_offset;
}

#define PLAN_PAGE 0x1000u
#define PLAN_ROUND_UP(v, a)   (((v) + ((a) - 1)) & ~(uint64_t)((a) - 1))
#define PLAN_ROUND_DOWN(v, a) ((v) & ~(uint64_t)((a) - 1))

#endif
