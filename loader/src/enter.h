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

_Static_assert(__builtin_offsetof(struct handoff_regs, entry) == 48, "enter.S layout");
_Static_assert(__builtin_offsetof(struct handoff_regs, vbar) == 96, "enter.S layout");

void enter_el1_kernel_from_el1(const struct handoff_regs *r) __attribute__((noreturn));
void enter_el1_kernel_from_el2(const struct handoff_regs *r) __attribute__((noreturn));
void enter_hyp_kernel(const struct handoff_regs *r) __attribute__((noreturn));

void load_copy(void *dst, const void *src, uint64_t n);
void load_zero(void *dst, uint64_t n);
void cache_clean_range(uint64_t start, uint64_t end);

#endif
