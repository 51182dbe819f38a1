/* Access to AArch64 system registers from C. */
#ifndef LOADER_SYSREG_H
#define LOADER_SYSREG_H

#include <stdint.h>

#define sysreg_read(reg) ({ \
    uint64_t v_; \
    __asm__ volatile("mrs %0, " #reg : "=r"(v_)); \
    v_; })

#define sysreg_write(reg, val) \
    __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }

static inline unsigned current_el(void)
{
    return (unsigned)(sysreg_read(CurrentEL) >> 2) & 3;
}

/* SCTLR_ELx.M of the EL the loader runs at. */
static inline int mmu_is_on(void)
{
    uint64_t sctlr = current_el() == 2 ? sysreg_read(SCTLR_EL2) : sysreg_read(SCTLR_EL1);
    return (int)(sctlr & 1);
}

#endif
