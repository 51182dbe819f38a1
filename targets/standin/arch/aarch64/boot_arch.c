/* AArch64's part of init_kernel (arch_boot.h). */
#include "arch_boot.h"

#include <stdint.h>

#include "config.h"
#include "kassert.h"
#include "pagetable.h"
#include "smp.h"
#include "vspace.h"

/* End of the kernel image, page aligned (kernel.ld). */
extern char ki_end[];
extern char kernel_stack_alloc[];

#define CPACR_FPEN_NO_TRAP (UINT64_C(3) << 20)

/* The parts of seL4's init_cpu a root task can notice, on the boot core: the
 * kernel stack for exception entry in TPIDR_EL1 (stack top | core id 0), no
 * EL0 timer access, FP/SIMD that works at EL0 (seL4 enables it on the first
 * use; with a single thread, up front looks the same from user space).
 * VBAR_EL1 is set in head.S so that even a fault in here is reported. */
void arch_init_cpu(void)
{
    uint64_t stack_top = (uint64_t)(uintptr_t)kernel_stack_alloc + KERNEL_STACK_SIZE;
    __asm__ volatile("msr tpidr_el1, %0" : : "r"(stack_top));
    uint64_t cpacr;
    __asm__ volatile("mrs %0, cpacr_el1" : "=r"(cpacr));
    __asm__ volatile("msr cpacr_el1, %0\n isb" : : "r"(cpacr | CPACR_FPEN_NO_TRAP));
    __asm__ volatile("msr cntkctl_el1, xzr\n isb");
}

/* seL4 also prints a GIC warning line here; the stand-in skips it. */
void arch_init_plat(void)
{
}

struct region arch_kernel_image(void)
{
    return (struct region){ KERNEL_PADDR, (uint64_t)(uintptr_t)ki_end - PPTR_BASE };
}

/* Real seL4 has no explicit check here: its debug build trips an assertion
 * in the frame-entry constructor while mapping a misaligned user image (x0),
 * and only then. A misaligned x1 or x0 - x2 it accepts: the frames cover
 * [x0, x1) page by page and every mapping takes its virtual address's page,
 * so the root task meets the consequences (a BootInfo pointer in mid-page, an
 * image mapped off by the low bits) at run time. The stand-in does the same. */
void arch_check_user_image(const struct boot_state *s)
{
    if ((s->ui_p_reg.start & ~PTE_ADDR_MASK) != 0)
        kassert_failed(SEL4_FRAME_ALIGN_CONDITION, __FILE__, __LINE__, SEL4_FRAME_ASSERT_FUNCTION);
}

void arch_vspace_init_root(uint64_t *root)
{
    (void)root;   /* TTBR1 holds the kernel: a user root starts empty */
}

void arch_sync_caches_for_user(void)
{
    __asm__ volatile("dsb ish\n ic iallu\n dsb ish\n isb" : : : "memory");
}

void arch_release_secondary_cores(void)
{
    smp_release_secondary_cores();
}
