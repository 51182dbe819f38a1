#include "roottask.h"

#include "arch.h"
#include "check.h"
#include "kernel_abi.h"
#include "print.h"
#include "syscalls.h"

/* What seL4 puts in the 16 initial slots on AArch64 (no SMMU, no SMC
 * calls) and riscv64 (the VSpace is a page table), as cap names of the ABI table; slots not listed stay null. MCS
 * adds the root thread's SchedContext in InitThreadSC, the cross-check of
 * the MCS reading of the BootInfo (abi_detect.c). */
static const enum sel4_cap_tag expected_initial_cap[SEL4_NUM_INITIAL_CAPS] = {
    [SEL4_CAP_NULL] = SEL4_CAPTAG_null,
    [SEL4_CAP_INIT_THREAD_TCB] = SEL4_CAPTAG_thread,
    [SEL4_CAP_INIT_THREAD_CNODE] = SEL4_CAPTAG_cnode,
    [SEL4_CAP_INIT_THREAD_VSPACE] = ARCH_CAPTAG_VSPACE,   /* riscv64: page_table */
    [SEL4_CAP_IRQ_CONTROL] = SEL4_CAPTAG_irq_control,
    [SEL4_CAP_ASID_CONTROL] = SEL4_CAPTAG_asid_control,
    [SEL4_CAP_INIT_THREAD_ASID_POOL] = SEL4_CAPTAG_asid_pool,
    [SEL4_CAP_IO_PORT_CONTROL] = SEL4_CAPTAG_null,
    [SEL4_CAP_IO_SPACE] = SEL4_CAPTAG_null,
    [SEL4_CAP_BOOT_INFO_FRAME] = SEL4_CAPTAG_frame,
    [SEL4_CAP_INIT_THREAD_IPC_BUFFER] = SEL4_CAPTAG_frame,
    [SEL4_CAP_DOMAIN] = SEL4_CAPTAG_domain,
    [SEL4_CAP_SMMU_SID_CONTROL] = SEL4_CAPTAG_null,
    [SEL4_CAP_SMMU_CB_CONTROL] = SEL4_CAPTAG_null,
    [SEL4_CAP_INIT_THREAD_SC] = SEL4_CAPTAG_sched_context,   /* null without MCS */
    [SEL4_CAP_SMC] = SEL4_CAPTAG_null,
};

static const char *const initial_slot_name[SEL4_NUM_INITIAL_CAPS] = {
    "null", "initThreadTCB", "initThreadCNode", "initThreadVSpace", "IRQControl",
    "ASIDControl", "initThreadASIDPool", "IOPortControl", "IOSpace", "bootInfoFrame",
    "initThreadIPCBuffer", "domain", "SMMUSIDControl", "SMMUCBControl", "initThreadSC",
    "SMC",
};

/* Identifies the first cap of a BootInfo region. Prints
 * "cap.<region> = <slot> <tag>". An empty region fails only if required. */
static void check_region_cap(const char *check_name, const char *region_name,
                             seL4_SlotRegion region, seL4_Word expected_tag, bool required)
{
    if (region.start >= region.end) {
        if (required)
            rt_check(false, check_name, "%s = [0x%lx, 0x%lx) is empty, no cap to identify",
                     region_name, region.start, region.end);
        return;
    }
    seL4_Word tag = sys_debug_cap_identify(region.start);
    rt_line("%s = 0x%lx %lu", check_name, region.start, tag);
    rt_check(tag == expected_tag, check_name, "slot 0x%lx (first of %s) has cap tag %lu, expected %lu",
             region.start, region_name, tag, expected_tag);
}

void check_caps(const seL4_BootInfo *bi)
{
    /* Check names are literals so the table of names doubles as them. */
    static const char *const check_name[SEL4_NUM_INITIAL_CAPS] = {
        "cap.0", "cap.1", "cap.2", "cap.3", "cap.4", "cap.5", "cap.6", "cap.7",
        "cap.8", "cap.9", "cap.10", "cap.11", "cap.12", "cap.13", "cap.14", "cap.15",
    };
    for (seL4_Word slot = 0; slot < SEL4_NUM_INITIAL_CAPS; slot++) {
        seL4_Word tag = sys_debug_cap_identify(slot);
        rt_fact(check_name[slot], "%lu", tag);
        seL4_Word expected = kernel_cap_tag(expected_initial_cap[slot]);
        rt_check(tag == expected, check_name[slot], "slot %lu (%s) has cap tag %lu, expected %lu",
                 slot, initial_slot_name[slot], tag, expected);
    }

    if (bi == 0)
        return;
    check_region_cap("cap.userImageFrames", "userImageFrames", bi->userImageFrames,
                     SEL4_CAP_TAG_FRAME, true);
    check_region_cap("cap.untyped", "untyped", bootinfo_untyped(bi), SEL4_CAP_TAG_UNTYPED, true);
    if (kernel_is_mcs())
        check_region_cap("cap.schedcontrol", "schedcontrol", bootinfo_schedcontrol(bi),
                         kernel_cap_tag(SEL4_CAPTAG_sched_control), true);
    check_region_cap("cap.userImagePaging", "userImagePaging", bi->userImagePaging,
                     SEL4_CAP_TAG_PAGE_TABLE, false);
    check_region_cap("cap.extraBIPages", "extraBIPages", bi->extraBIPages,
                     SEL4_CAP_TAG_FRAME, false);
}
