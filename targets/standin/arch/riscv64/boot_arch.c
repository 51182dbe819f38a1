/* riscv64's part of init_kernel (arch_boot.h). */
#include "arch_boot.h"

#include <stdint.h>

#include "config.h"
#include "smp.h"
#include "uart.h"
#include "vspace.h"

/* Start and end of the kernel image, page aligned (kernel.ld). */
extern char _start[], ki_end[];

#define SSTATUS_FS_MASK (UINT64_C(3) << 13)

/* seL4's init_cpu: its trap vector (set in head.S already), the local
 * interrupt controller (seL4 says so; the stand-in enables no interrupt),
 * the FPU off until a thread uses it (sstatus.FS = Off). */
void arch_init_cpu(void)
{
    kprintf("Init local IRQ\n");
    __asm__ volatile("csrc sstatus, %0" : : "r"(SSTATUS_FS_MASK));
}

/* seL4's init_plat: the PLIC (left alone here: no interrupts are used). */
void arch_init_plat(void)
{
    kprintf("Initializing PLIC...\n");
}

struct region arch_kernel_image(void)
{
    return (struct region){ kimg_to_paddr(_start), kimg_to_paddr(ki_end) };
}

/* RISC-V seL4 asserts nothing here: a frame's PTE keeps paddr >> 12, so a
 * misaligned start maps its page. */
void arch_check_user_image(const struct boot_state *s)
{
    (void)s;
}

void arch_vspace_init_root(uint64_t *root)
{
    user_vspace_copy_global(root);
}

void arch_sync_caches_for_user(void)
{
    __asm__ volatile("fence.i" : : : "memory");
}

void arch_release_secondary_cores(void)
{
    smp_release_secondary_cores();
}
