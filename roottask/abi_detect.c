#include "abi_detect.h"

#include "fmt.h"
#include "kernel_abi.h"
#include "print.h"
#include "syscalls.h"
#include "trap.h"

/* The release whose numbers stand for a release class the probes cannot
 * split (15.0.0 and 16.0.0 agree on every number the root task uses; a
 * test checks it against the table). */
#define NEWEST_RELEASE SEL4_RELEASE_16_0_0

/* The cap the TCB probe goes to: our own TCB. A test build sends it to an
 * empty slot instead, to see what a kernel answering neither way gets
 * (fixtures/components/components.mk, roottask-probe-empty-slot.elf). */
#ifndef ROOTTASK_PROBE_TCB_SLOT
#define ROOTTASK_PROBE_TCB_SLOT SEL4_CAP_INIT_THREAD_TCB
#endif

static char failure[240];
static bool can_print;
static bool partial;   /* only MCS or not is known (no BootInfo) */
static struct {
    bool tcb_done, domain_done;
    seL4_Word tcb_label, tcb_error, domain_label, domain_error;
} probe;

const char *abi_detect_failure(void)
{
    return failure;
}

bool abi_detect_can_print(void)
{
    return can_print;
}

#ifndef ROOTTASK_FORCED_RELEASE
static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bc_vsnprintf(failure, sizeof failure, fmt, ap);
    va_end(ap);
    return false;
}

/* The BootInfo read as MCS and as non-MCS; exactly one reading must be
 * consistent. MCS: the region at +152 is schedcontrol, one cap per node,
 * and the one at +168 is untyped, which ends where empty begins (seL4
 * fills the untypeds last). Non-MCS: the region at +152 is untyped and
 * ends where empty begins. Words, not seL4_BootInfo's fields: which
 * fields are where is the question. */
enum mcs_reading { READING_NONMCS, READING_MCS, READING_NONE, READING_BOTH };

static enum mcs_reading read_mcs(const seL4_BootInfo *bi, char *why, size_t size)
{
    const seL4_Word *w = (const seL4_Word *)bi;
    seL4_Word num_nodes = bi->numNodes, empty_start = bi->empty.start;
    seL4_Word a_start = w[152 / 8], a_end = w[152 / 8 + 1];
    seL4_Word b_start = w[168 / 8], b_end = w[168 / 8 + 1];
    bool nonmcs = a_start <= a_end && a_end == empty_start;
    bool mcs = a_start <= a_end && a_end - a_start == num_nodes && b_start <= b_end &&
               b_end == empty_start;
    bc_snprintf(why, size, "BootInfo +152 holds [0x%lx, 0x%lx), +168 [0x%lx, 0x%lx), numNodes %lu, "
                "empty starts at 0x%lx", (unsigned long)a_start, (unsigned long)a_end,
                (unsigned long)b_start, (unsigned long)b_end, (unsigned long)num_nodes,
                (unsigned long)empty_start);
    return mcs && nonmcs ? READING_BOTH : mcs ? READING_MCS : nonmcs ? READING_NONMCS : READING_NONE;
}

/* Without a usable BootInfo: syscall -12 with x0 = the TCB slot is
 * DebugCapIdentify on a non-MCS kernel (x0 comes back 12, a thread cap) and
 * DebugPutChar on MCS (prints the byte 0x01, x0 comes back unchanged).
 * Both harmless; used only to be able to print why the boot failed. */
static int syscall_probe_mcs(void)
{
    seL4_Word x0 = trap1(-12, SEL4_CAP_INIT_THREAD_TCB);
    return x0 == SEL4_CAP_TAG_THREAD ? 0 : x0 == SEL4_CAP_INIT_THREAD_TCB ? 1 : -1;
}

/* An invocation with no words and no caps: only its label and the cap
 * matter, and on every release the probes are written for it changes
 * nothing (targets/abi/README.md). */
static seL4_Word probe_call(seL4_Word cap, seL4_Word label)
{
    struct sys_message msg = { .info = SEL4_MSGINFO(label, 0, 0, 0) };
    sys_call(cap, &msg);
    return SEL4_MSGINFO_LABEL(msg.info);
}

static const char *error_name(seL4_Word e)
{
    return e < SEL4_ERROR_COUNT ? sel4_error_names[e] : "(not an seL4 error code)";
}

static bool detect_release(bool mcs, bool smp)
{
    /* TCBSetFlags (14.0.0 on) on our own TCB: 13.0.0 has no TCB method
     * with that label (IllegalOperation); 14.0.0 on wants two words
     * (TruncatedMessage). */
    probe.tcb_label = sel4_abi_find(SEL4_RELEASE_14_0_0, mcs, smp, 0)->label[SEL4_METHOD_TCBSetFlags];
    probe.tcb_error = probe_call(ROOTTASK_PROBE_TCB_SLOT, probe.tcb_label);
    probe.tcb_done = true;
    if (probe.tcb_error == SEL4_ILLEGAL_OPERATION) {
        kernel_abi_set(sel4_abi_find(SEL4_RELEASE_13_0_0, mcs, smp, 0));
        return true;
    }
    if (probe.tcb_error != SEL4_TRUNCATED_MESSAGE)
        return fail("cannot tell the seL4 release: TCB label %lu -> %s, expected "
                    "seL4_IllegalOperation (13.0) or seL4_TruncatedMessage (14.0+)",
                    (unsigned long)probe.tcb_label, error_name(probe.tcb_error));
    /* DomainScheduleConfigure (15.0.0 on) on the Domain cap: 14.0.0 knows
     * only DomainSetSet (IllegalOperation); 15.0.0 on wants three words. */
    probe.domain_label =
        sel4_abi_find(SEL4_RELEASE_15_0_0, mcs, smp, 0)->label[SEL4_METHOD_DomainScheduleConfigure];
    probe.domain_error = probe_call(SEL4_CAP_DOMAIN, probe.domain_label);
    probe.domain_done = true;
    if (probe.domain_error == SEL4_ILLEGAL_OPERATION) {
        kernel_abi_set(sel4_abi_find(SEL4_RELEASE_14_0_0, mcs, smp, 0));
        return true;
    }
    if (probe.domain_error != SEL4_TRUNCATED_MESSAGE)
        return fail("cannot tell the seL4 release: Domain label %lu -> %s, expected "
                    "seL4_IllegalOperation (14.0) or seL4_TruncatedMessage (15.0+)",
                    (unsigned long)probe.domain_label, error_name(probe.domain_error));
    kernel_abi_set(sel4_abi_find(NEWEST_RELEASE, mcs, smp, 0));
    return true;
}

#endif

#ifdef ROOTTASK_FORCED_RELEASE
/* Built for one ABI: no detection at all (numNodes still says SMP unless
 * ROOTTASK_FORCED_SMP fixes it too). */
bool abi_detect(const seL4_BootInfo *bi)
{
#ifdef ROOTTASK_FORCED_SMP
    (void)bi;
    bool smp = ROOTTASK_FORCED_SMP;
#else
    bool smp = bi != 0 && bi->numNodes > 1;
#endif
    kernel_abi_set(sel4_abi_find(ROOTTASK_FORCED_RELEASE, ROOTTASK_FORCED_MCS, smp, 0));
    can_print = true;
    return true;
}
#else
bool abi_detect(const seL4_BootInfo *bi)
{
    char why[160];
    int mcs;
    if (bi == 0) {
        /* Only printing is left to do (the entry check fails on x0 and
         * nothing is invoked): MCS or not is all that matters then. */
        mcs = syscall_probe_mcs();
        if (mcs < 0)
            return false;
        kernel_abi_set(sel4_abi_find(NEWEST_RELEASE, mcs, 0, 0));
        can_print = true;
        partial = true;
        return true;
    } else {
        switch (read_mcs(bi, why, sizeof why)) {
        case READING_NONMCS: mcs = 0; break;
        case READING_MCS: mcs = 1; break;
        case READING_BOTH:
            mcs = syscall_probe_mcs();
            fail("cannot tell MCS from non-MCS: %s; both readings are consistent", why);
            break;
        default:
            mcs = syscall_probe_mcs();
            fail("cannot tell MCS from non-MCS: %s; neither the MCS reading (schedcontrol of "
                 "numNodes caps, then untyped ending at empty) nor the non-MCS one (untyped "
                 "ending at empty) holds", why);
            break;
        }
    }
    bool smp = bi != 0 && bi->numNodes > 1;
    if (mcs < 0)
        return false;   /* not even the console's number is known */
    /* Syscall numbers depend only on MCS among the syscalls used here and
     * for printing: any release's entry serves until the release is known. */
    kernel_abi_set(sel4_abi_find(NEWEST_RELEASE, mcs, smp, 0));
    can_print = true;
    if (failure[0] != '\0')
        return false;
    return detect_release(mcs, smp);
}
#endif

void abi_detect_report(void)
{
    if (probe.tcb_done)
        rt_fact("sel4.abi.probe.tcb", "%lu %lu", (unsigned long)probe.tcb_label,
                (unsigned long)probe.tcb_error);
    if (probe.domain_done)
        rt_fact("sel4.abi.probe.domain", "%lu %lu", (unsigned long)probe.domain_label,
                (unsigned long)probe.domain_error);
    if (failure[0] != '\0' || partial)
        return;
#ifdef ROOTTASK_FORCED_RELEASE
    rt_fact("sel4.abi.forced", "1");
#endif
    rt_fact("sel4.abi", "%s %s smp=%u", kernel_abi_release_text(kernel_abi),
            kernel_abi->mcs ? "mcs" : "nonmcs", (unsigned)kernel_abi->smp);
}
