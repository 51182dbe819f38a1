#include "roottask.h"

#include "check.h"
#include "print.h"
#include "syscalls.h"

/* What seL4 puts in the 16 initial slots on AArch64 (non-MCS, no SMMU):
 * slots not listed stay null. */
static const uint8_t expected_initial_tag[SEL4_NUM_INITIAL_CAPS] = {
    [SEL4_CAP_INIT_THREAD_TCB] = SEL4_CAP_TAG_THREAD,
    [SEL4_CAP_INIT_THREAD_CNODE] = SEL4_CAP_TAG_CNODE,
    [SEL4_CAP_INIT_THREAD_VSPACE] = SEL4_CAP_TAG_VSPACE,
    [SEL4_CAP_IRQ_CONTROL] = SEL4_CAP_TAG_IRQ_CONTROL,
    [SEL4_CAP_ASID_CONTROL] = SEL4_CAP_TAG_ASID_CONTROL,
    [SEL4_CAP_INIT_THREAD_ASID_POOL] = SEL4_CAP_TAG_ASID_POOL,
    [SEL4_CAP_BOOT_INFO_FRAME] = SEL4_CAP_TAG_FRAME,
    [SEL4_CAP_INIT_THREAD_IPC_BUFFER] = SEL4_CAP_TAG_FRAME,
    [SEL4_CAP_DOMAIN] = SEL4_CAP_TAG_DOMAIN,
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
        rt_check(tag == expected_initial_tag[slot], check_name[slot],
                 "slot %lu (%s) has cap tag %lu, expected %u", slot, initial_slot_name[slot],
                 tag, expected_initial_tag[slot]);
    }

    if (bi == 0)
        return;
    check_region_cap("cap.userImageFrames", "userImageFrames", bi->userImageFrames,
                     SEL4_CAP_TAG_FRAME, true);
    check_region_cap("cap.untyped", "untyped", bi->untyped, SEL4_CAP_TAG_UNTYPED, true);
    check_region_cap("cap.userImagePaging", "userImagePaging", bi->userImagePaging,
                     SEL4_CAP_TAG_PAGE_TABLE, false);
    check_region_cap("cap.extraBIPages", "extraBIPages", bi->extraBIPages,
                     SEL4_CAP_TAG_FRAME, false);
}
