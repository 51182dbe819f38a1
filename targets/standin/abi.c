/* abi.h on top of the project's ABI table. */
#include "abi.h"

#include "bootinfo.h"
#include "cap.h"
#include "config.h"
#include "freemem.h"
#include "notification.h"
#include "release.h"
#include "sel4_abi.h"
#include "uart.h"

enum sel4_method abi_method(uint64_t label)
{
    return sel4_abi_method(kernel_abi(), label);
}

enum sel4_syscall abi_syscall(int64_t number)
{
    const struct sel4_abi *abi = kernel_abi();
    for (unsigned s = 0; s < SEL4_SYSCALL_COUNT; s++)
        if (abi->syscall[s] != 0 && abi->syscall[s] == number)
            return (enum sel4_syscall)s;
    return SEL4_SYSCALL_COUNT;
}

const char *abi_syscall_name(int64_t number)
{
    static char name[48];
    enum sel4_syscall s = abi_syscall(number);
    if (s == SEL4_SYSCALL_COUNT)
        return "no syscall of this kernel";
    const char *prefix = "seL4_Sys", *rest = sel4_syscall_names[s];
    unsigned n = 0;
    while (*prefix != 0)
        name[n++] = *prefix++;
    while (*rest != 0 && n < sizeof name - 1)
        name[n++] = *rest++;
    name[n] = 0;
    return name;
}

enum sel4_object abi_object_type(uint64_t type)
{
    const struct sel4_abi *abi = kernel_abi();
    for (unsigned o = 0; o < SEL4_OBJECT_COUNT; o++)
        if (abi->object_type[o] >= 0 && (uint64_t)abi->object_type[o] == type)
            return (enum sel4_object)o;
    return SEL4_OBJECT_COUNT;
}

uint64_t abi_fault_label(enum fault_kind kind)
{
    static const uint8_t type_of_kind[] = {
        [FAULT_NULL] = SEL4_FAULT_TYPE_NullFault, [FAULT_CAP] = SEL4_FAULT_TYPE_CapFault,
        [FAULT_UNKNOWN_SYSCALL] = SEL4_FAULT_TYPE_UnknownSyscall,
        [FAULT_USER_EXCEPTION] = SEL4_FAULT_TYPE_UserException,
        [FAULT_VM] = SEL4_FAULT_TYPE_VMFault, [FAULT_TIMEOUT] = SEL4_FAULT_TYPE_Timeout,
    };
    return (uint64_t)kernel_abi()->fault_type[type_of_kind[kind]];
}

static int same(const char *what, long ours, long table)
{
    if (ours == table)
        return 1;
    kprintf("stand-in: %s is %ld here but %ld in the ABI table for seL4 %s; the stand-in cannot "
            "imitate this configuration, halting\n", what, ours, table, kernel_abi()->name);
    return 0;
}

int abi_check_layout(void)
{
    const struct sel4_abi *abi = kernel_abi();
    if (abi == 0) {
        kprintf("stand-in: the ABI table has no configuration for this build, halting\n");
        return 0;
    }
    return same("sizeof(seL4_BootInfo)", sizeof(boot_info_t), abi->bootinfo_size) &&
           same("BootInfo.untyped", __builtin_offsetof(boot_info_t, untyped), abi->bootinfo_untyped) &&
           same("BootInfo.untypedList", __builtin_offsetof(boot_info_t, untypedList),
                abi->bootinfo_untyped_list) &&
#if CONFIG_KERNEL_MCS
           same("BootInfo.schedcontrol", __builtin_offsetof(boot_info_t, schedcontrol),
                abi->bootinfo_schedcontrol) &&
           same("the sched_context cap tag", CAP_TAG_SCHED_CONTEXT,
                abi->cap_tag[SEL4_CAPTAG_sched_context]) &&
           same("the sched_control cap tag", CAP_TAG_SCHED_CONTROL,
                abi->cap_tag[SEL4_CAPTAG_sched_control]) &&
           same("seL4_MinSchedContextBits", MIN_SCHED_CONTEXT_BITS,
                abi->object_bits[SEL4_OBJECT_SchedContext]) &&
#endif
           same("seL4_NotificationBits", NOTIFICATION_BITS, abi->object_bits[SEL4_OBJECT_Notification]) &&
           same("the reply cap tag", SEL4_CAP_TAG_REPLY, abi->cap_tag[SEL4_CAPTAG_reply]) &&
           same("the thread cap tag", SEL4_CAP_TAG_THREAD, abi->cap_tag[SEL4_CAPTAG_thread]) &&
           same("the endpoint cap tag", SEL4_CAP_TAG_ENDPOINT, abi->cap_tag[SEL4_CAPTAG_endpoint]) &&
           same("the notification cap tag", SEL4_CAP_TAG_NOTIFICATION,
                abi->cap_tag[SEL4_CAPTAG_notification]) &&
           same("the frame cap tag", SEL4_CAP_TAG_FRAME, abi->cap_tag[SEL4_CAPTAG_frame]);
}
