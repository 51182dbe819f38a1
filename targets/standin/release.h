/* The seL4 release this build of the stand-in imitates (targets.mk builds
 * one kernel per release; release.c is the only per-release object). Code
 * whose behaviour differs between releases asks here at run time, so the
 * rest of the objects are shared by all releases of a configuration.
 *
 * release.c also carries the release's evidence, the symbols and texts a
 * real build of that release has and bootcheck reads a kernel's release
 * from (harness/bootcheck/kernel/target.py), so
 * the stand-in reads as the release it imitates. */
#ifndef STANDIN_RELEASE_H
#define STANDIN_RELEASE_H

#include <stdint.h>

struct tcb;

struct standin_release {
    unsigned major;                /* 13, 14, 15 or 16 */
    const char *name;              /* "16.0.0" */
    /* Boot-log formats, as the release's boot.c prints them. */
    const char *available_heading; /* "available phys memory regions: %lu\n" */
    const char *reserved_heading;
    const char *region_line;       /* "  [%lx..%lx]\n" up to 13.0, "  [%lx..%lx)\n" from 14.0 */
    char region_close;             /* the closing bracket in ERROR lines */
    /* seL4's fpuRelease (14.0+: TCB_SetFlags disabling the FPU). */
    void (*fpu_release)(struct tcb *t);
    /* seL4's ksDomScheduleStart (15.0+: the domain schedule's start index). */
    uint64_t *dom_schedule_start;
};

extern const struct standin_release standin_release;

static inline int release_at_least(unsigned major)
{
    return standin_release.major >= major;
}

/* How seL4 closes a printed address range: "[a..b]" up to 13.0, "[a..b)"
 * from 14.0 (src/kernel/boot.c, src/arch/arm/kernel/boot.c). */
static inline char region_close(void)
{
    return standin_release.region_close;
}

#endif
