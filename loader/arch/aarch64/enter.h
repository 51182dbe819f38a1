#ifndef LOADER_ENTER_H
#define LOADER_ENTER_H

#include <stdint.h>

/* Everything the final trampoline needs; offsets are used by enter.S. */
struct handoff_regs {
    uint64_t x[6];
    uint64_t entry;
    uint64_t ttbr0;
    uint64_t ttbr1;
    uint64_t tcr;
    uint64_t mair;
    uint64_t sctlr;
    uint64_t vbar;
};

/* enter.S names these offsets (HR_*): keep the two in step. */
_Static_assert(__builtin_offsetof(struct handoff_regs, entry) == 48, "enter.S HR_ENTRY");
_Static_assert(__builtin_offsetof(struct handoff_regs, ttbr0) == 56, "enter.S HR_TTBR0");
_Static_assert(__builtin_offsetof(struct handoff_regs, ttbr1) == 64, "enter.S HR_TTBR1");
_Static_assert(__builtin_offsetof(struct handoff_regs, tcr) == 72, "enter.S HR_TCR");
_Static_assert(__builtin_offsetof(struct handoff_regs, mair) == 80, "enter.S HR_MAIR");
_Static_assert(__builtin_offsetof(struct handoff_regs, sctlr) == 88, "enter.S HR_SCTLR");
_Static_assert(__builtin_offsetof(struct handoff_regs, vbar) == 96, "enter.S HR_VBAR");

void enter_el1_kernel_from_el1(const struct handoff_regs *r) __attribute__((noreturn));
void enter_el1_kernel_from_el2(const struct handoff_regs *r) __attribute__((noreturn));
void enter_hyp_kernel(const struct handoff_regs *r) __attribute__((noreturn));

void enter_linux(uint64_t entry, uint64_t dtb) __attribute__((noreturn));

void load_copy(void *dst, const void *src, uint64_t n);
void load_zero(void *dst, uint64_t n);
/* Makes [start, end) safe to execute: D-cache clean to the point of
 * unification. Data needs no maintenance: the kernel is entered with the MMU
 * and caches on and maps RAM with the same Normal write-back attributes, so
 * it reads what the loader wrote through the same caches. The I-cache is
 * invalidated once, just before the jump. */
void cache_sync_code(uint64_t start, uint64_t end);

#endif
