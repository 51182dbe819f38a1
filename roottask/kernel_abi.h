/* The ABI of the seL4 kernel this thread runs on: one entry of the table
 * generated from targets/abi/sel4-abi.toml (build/abi/sel4_abi_table.h),
 * chosen once at start-up (the root task detects it, abi_detect.h; a
 * component gets it from its parent in x8) and used for every syscall
 * number, invocation label, object type and size, cap tag, fault label and
 * BootInfo offset from then on. Nothing may trap into the kernel before it
 * is set: even the console syscall's number depends on it. */
#ifndef ROOTTASK_KERNEL_ABI_H
#define ROOTTASK_KERNEL_ABI_H

#include <stdbool.h>

#include "sel4_abi.h"
#include "sel4_abi_table.h"

extern const struct sel4_abi *kernel_abi;

void kernel_abi_set(const struct sel4_abi *abi);

static inline bool kernel_is_mcs(void)
{
    return kernel_abi->mcs != 0;
}

/* The object type number and the size (log2 bytes) the allocator must
 * reserve for one object of `kind` with seL4's size_bits argument (the
 * slot count of a CNode, the size of an untyped or SchedContext). */
seL4_Word kernel_object_type(enum sel4_object kind);
unsigned kernel_object_bits(enum sel4_object kind, seL4_Word size_bits);

/* The cap tag DebugCapIdentify gives for `tag` (a name of the table), or
 * SEL4_CAP_TAG_NULL's 0 if this kernel has no such cap. */
seL4_Word kernel_cap_tag(enum sel4_cap_tag tag);

/* The BootInfo fields whose place depends on the ABI (MCS inserts
 * `schedcontrol` at +152, moving `untyped` and `untypedList`). The fields
 * before +152 are the same in every configuration (seL4_BootInfo's). */
seL4_SlotRegion bootinfo_untyped(const seL4_BootInfo *bi);
const seL4_UntypedDesc *bootinfo_untyped_list(const seL4_BootInfo *bi);
/* Empty (0, 0) without MCS. */
seL4_SlotRegion bootinfo_schedcontrol(const seL4_BootInfo *bi);

/* "15.0/16.0" for the releases this entry stands for (the root task cannot
 * tell 15.0.0 from 16.0.0, whose numbers agree), else "13.0" or "14.0". */
const char *kernel_abi_release_text(const struct sel4_abi *abi);

#endif
