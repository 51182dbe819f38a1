/* What init_kernel (boot.c) asks of the architecture: each arch's
 * boot_arch.c. */
#ifndef STANDIN_ARCH_BOOT_H
#define STANDIN_ARCH_BOOT_H

#include <stdint.h>

#include "handoff.h"
#include "region.h"

/* seL4's init_cpu as a root task can notice it (and its boot lines). */
void arch_init_cpu(void);

/* seL4's init_plat (and its boot lines). */
void arch_init_plat(void);

/* The kernel image's physical range [start, ki_end). */
struct region arch_kernel_image(void);

/* What seL4's debug build asserts about the user image while mapping it
 * (AArch64: a page-aligned start); returns only if it holds. */
void arch_check_user_image(const struct boot_state *s);

/* A new VSpace root before its first table is linked (RISC-V: the
 * kernel's entries, seL4's copyGlobalMappings). */
void arch_vspace_init_root(uint64_t *root);

/* Instruction fetches of the root task must see what the loader wrote. */
void arch_sync_caches_for_user(void);

/* SMP: let the other cores go on (seL4's release_secondary_cpus). */
void arch_release_secondary_cores(void);

#endif
