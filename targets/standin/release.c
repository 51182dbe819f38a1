/* The one object built per release (targets.mk passes STANDIN_RELEASE_MAJOR
 * and STANDIN_RELEASE_NAME): which seL4 release this kernel imitates, the
 * boot-log words of that release, and the release's evidence. */
#include "release.h"

#include "config.h"

#if !defined(STANDIN_RELEASE_MAJOR) || !defined(STANDIN_RELEASE_NAME)
#error "release.c is built per release: STANDIN_RELEASE_MAJOR and STANDIN_RELEASE_NAME"
#endif
#if STANDIN_RELEASE_MAJOR < 13 || STANDIN_RELEASE_MAJOR > 16
#error "the stand-in imitates seL4 13.0.0 .. 16.0.0"
#endif

#define USED __attribute__((used))

/* seL4 14.0 replaced fpuThreadDelete (13.0: a deleted thread gives up the
 * FPU) by fpuRelease (the FPU owner became a tcb_t *). The stand-in does not
 * switch FP/SIMD state (its user code is built without it), so neither has
 * work to do; each exists in the builds of the releases that have it. */
#if STANDIN_RELEASE_MAJOR >= 14
void fpuRelease(struct tcb *t);
void fpuRelease(struct tcb *t)
{
    (void)t;
}
#define FPU_RELEASE fpuRelease
#else
void fpuThreadDelete(struct tcb *t) USED;
void fpuThreadDelete(struct tcb *t)
{
    (void)t;
}
#define FPU_RELEASE 0
#endif

/* 15.0 added the settable domain schedule start (DomainScheduleSetStart). */
#if STANDIN_RELEASE_MAJOR >= 15
uint64_t ksDomScheduleStart;
#define DOM_SCHEDULE_START (&ksDomScheduleStart)
#else
#define DOM_SCHEDULE_START 0
#endif

/* Texts of seL4's printing builds that only some releases have (userError
 * messages of invocations they added); the stand-in prints no userError
 * lines, so they are kept only as the release's marks in .rodata, where a
 * stripped seL4 kernel shows them too. */
#if STANDIN_RELEASE_MAJOR >= 14
static const char set_flags_text[] USED = "TCB SetFlags: Truncated message.";
#endif
#if STANDIN_RELEASE_MAJOR >= 15
static const char domain_schedule_text[] USED = "Domain Schedule Configure: Invalid domain.";
#endif
#if CONFIG_KERNEL_MCS
static const char sched_context_bind_text[] USED = "SchedContext_Bind: Truncated Message.";
#endif

const struct standin_release standin_release = {
    .major = STANDIN_RELEASE_MAJOR,
    .name = STANDIN_RELEASE_NAME,
#if STANDIN_RELEASE_MAJOR >= 16
    .available_heading = "Available phys memory regions: %lu\n",
    .reserved_heading = "Reserved virt address space regions: %lu\n",
#else
    .available_heading = "available phys memory regions: %lu\n",
    .reserved_heading = "reserved virt address space regions: %lu\n",
#endif
#if STANDIN_RELEASE_MAJOR >= 14
    .region_line = "  [%lx..%lx)\n",
    .region_close = ')',
#else
    .region_line = "  [%lx..%lx]\n",
    .region_close = ']',
#endif
    .fpu_release = FPU_RELEASE,
    .dom_schedule_start = DOM_SCHEDULE_START,
};
