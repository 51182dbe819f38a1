/* The seL4 release this build of the stand-in imitates (targets.mk builds
 * one kernel per release; release.c is the only per-release object). Code
 * whose behaviour differs between releases asks here at run time, so the
 * rest of the objects are shared by all releases of a configuration. */
#ifndef STANDIN_RELEASE_H
#define STANDIN_RELEASE_H

struct standin_release {
    unsigned major;       /* 13, 14, 15 or 16 */
    const char *name;     /* "16.0.0" */
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
    return release_at_least(14) ? ')' : ']';
}

#endif
