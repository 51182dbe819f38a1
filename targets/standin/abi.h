/* The numbers of the seL4 ABI this build speaks, from the project's ABI
 * table (targets/abi/, build/abi/sel4_abi_table.h): which method an
 * invocation label names, which syscall a syscall number names, which
 * object type a retype type names, the fault types, the object sizes. They
 * differ between releases (labels), between non-MCS and MCS (syscalls,
 * labels, object types, sizes) and between one core and several (labels);
 * the stand-in works with the table's names (SEL4_METHOD_*,
 * SEL4_SYSCALL_*, SEL4_OBJECT_*), never with numbers of its own. */
#ifndef STANDIN_ABI_H
#define STANDIN_ABI_H

#include <stdint.h>

#include "sel4_abi_table.h"

/* This build's configuration in the table: its release (release.h), MCS
 * (CONFIG_KERNEL_MCS), SMP (MAX_NUM_NODES > 1), EL1. */
const struct sel4_abi *kernel_abi(void);

/* The method an invocation label names here; SEL4_METHOD_COUNT if none. */
enum sel4_method abi_method(uint64_t label);

/* The syscall a (negative) number in x7 names here; SEL4_SYSCALL_COUNT if
 * none (an UnknownSyscall fault). */
enum sel4_syscall abi_syscall(int64_t number);

/* seL4's name of a syscall number here ("seL4_SysCall"), or a sentence
 * saying it has none. */
const char *abi_syscall_name(int64_t number);

/* The object type a retype's type argument names; SEL4_OBJECT_COUNT if none. */
enum sel4_object abi_object_type(uint64_t type);

/* log2 of an object's size (seL4_<Object>Bits; for CapTable a slot, for
 * Untyped and SchedContext the smallest allowed). */
unsigned abi_object_bits(enum sel4_object type);

/* What a fault message reports (seL4_Fault_t); its label is the table's
 * fault type. */
enum fault_kind {
    FAULT_NULL,   /* none: an ordinary message */
    FAULT_CAP, FAULT_UNKNOWN_SYSCALL, FAULT_USER_EXCEPTION, FAULT_VM,
    FAULT_TIMEOUT,   /* MCS */
};
uint64_t abi_fault_label(enum fault_kind kind);

/* Compares the layouts the stand-in compiles in (BootInfo, cap tags,
 * initial slots) with the table; prints one line and returns 0 on a
 * difference. */
int abi_check_layout(void);

#endif
