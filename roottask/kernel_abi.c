#include "kernel_abi.h"

/* Until someone sets it: seL4 13.0.0, non-MCS, single-core of the
 * architecture compiled for (AArch64: sel4_abis[0]), what root tasks
 * written before the table (fixtures/ipc_probe) assume; invoke_init still
 * switches to the SMP numbering when numNodes > 1. */
const struct sel4_abi *kernel_abi = &sel4_abis[SEL4_ABI_TARGET_FIRST];

void kernel_abi_set(const struct sel4_abi *abi)
{
    kernel_abi = abi;
}

seL4_Word kernel_object_type(enum sel4_object kind)
{
    return (seL4_Word)kernel_abi->object_type[kind];
}

unsigned kernel_object_bits(enum sel4_object kind, seL4_Word size_bits)
{
    switch (kind) {
    case SEL4_OBJECT_CapTable:
        return (unsigned)size_bits + kernel_abi->object_bits[kind];
    case SEL4_OBJECT_Untyped:
    case SEL4_OBJECT_SchedContext:
        return (unsigned)size_bits;
    case SEL4_OBJECT_ARM_VSpace:
        /* The root task does not probe for a hyp build (no number it uses
         * depends on it) and hyp VSpaces are 2^13: reserving that much
         * either way keeps the allocator's watermark at or above the
         * kernel's, so a retype never fails for room it expected. */
        return SEL4_VSPACE_BITS_HYP > kernel_abi->object_bits[kind] ? SEL4_VSPACE_BITS_HYP
                                                                   : kernel_abi->object_bits[kind];
    default:
        return kernel_abi->object_bits[kind];
    }
}

seL4_Word kernel_cap_tag(enum sel4_cap_tag tag)
{
    int t = kernel_abi->cap_tag[tag];
    return t < 0 ? SEL4_CAP_TAG_NULL : (seL4_Word)t;
}

static const void *at(const seL4_BootInfo *bi, unsigned offset)
{
    return (const uint8_t *)bi + offset;
}

seL4_SlotRegion bootinfo_untyped(const seL4_BootInfo *bi)
{
    return *(const seL4_SlotRegion *)at(bi, kernel_abi->bootinfo_untyped);
}

const seL4_UntypedDesc *bootinfo_untyped_list(const seL4_BootInfo *bi)
{
    return at(bi, kernel_abi->bootinfo_untyped_list);
}

seL4_SlotRegion bootinfo_schedcontrol(const seL4_BootInfo *bi)
{
    if (kernel_abi->bootinfo_schedcontrol == 0)
        return (seL4_SlotRegion){ 0, 0 };
    return *(const seL4_SlotRegion *)at(bi, kernel_abi->bootinfo_schedcontrol);
}

const char *kernel_abi_release_text(const struct sel4_abi *abi)
{
    switch (abi->release) {
    case SEL4_RELEASE_13_0_0: return "13.0";
    case SEL4_RELEASE_14_0_0: return "14.0";
    case SEL4_RELEASE_15_0_0:
    case SEL4_RELEASE_16_0_0: return "15.0/16.0";
    default: return abi->release_name;
    }
}
