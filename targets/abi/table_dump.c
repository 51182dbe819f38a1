/* Prints every number of the generated C table, one per line, so a test can
 * compare the C table with sel4abi.py configuration by configuration:
 *     <configuration> <kind> <name> <value>
 * Host program (make sel4-abi builds it as build/abi/table-dump). */
#include <stdio.h>

#include "sel4_abi_table.h"

int main(void)
{
    for (unsigned i = 0; i < SEL4_ABI_COUNT; i++) {
        const struct sel4_abi *a = &sel4_abis[i];
        if (sel4_abi_find_arch(a->arch, a->release, a->mcs, a->smp, a->hyp) != a ||
            sel4_abi_from_word(sel4_abi_word(a)) != a) {
            fprintf(stderr, "table-dump: %s is not found under its own name or word\n", a->name);
            return 1;
        }
        printf("%s release %s\n", a->name, a->release_name);
        printf("%s count n_invocation_labels %u\n", a->name, a->n_invocation_labels);
        printf("%s count n_sel4_arch_invocation_labels %u\n", a->name, a->n_sel4_arch_invocation_labels);
        printf("%s count n_arch_invocation_labels %u\n", a->name, a->n_arch_invocation_labels);
        printf("%s count object_type_count %u\n", a->name, a->object_type_count);
        for (unsigned m = 0; m < SEL4_METHOD_COUNT; m++) {
            if (a->label[m] == 0)
                continue;
            printf("%s label %s %u\n", a->name, sel4_method_names[m], a->label[m]);
            if (sel4_abi_method(a, a->label[m]) != (enum sel4_method)m) {
                fprintf(stderr, "table-dump: %s: label %u does not map back to %s\n", a->name,
                        a->label[m], sel4_method_names[m]);
                return 1;
            }
        }
        for (unsigned s = 0; s < SEL4_SYSCALL_COUNT; s++)
            if (a->syscall[s] != 0)
                printf("%s syscall %s %d\n", a->name, sel4_syscall_names[s], a->syscall[s]);
        for (unsigned o = 0; o < SEL4_OBJECT_COUNT; o++)
            if (a->object_type[o] >= 0)
                printf("%s object %s %d %u\n", a->name, sel4_object_names[o], a->object_type[o],
                       a->object_bits[o]);
        for (unsigned f = 0; f < SEL4_FAULT_TYPE_COUNT; f++)
            if (a->fault_type[f] >= 0)
                printf("%s fault %s %d\n", a->name, sel4_fault_type_names[f], a->fault_type[f]);
        for (unsigned t = 0; t < SEL4_CAPTAG_COUNT; t++)
            if (a->cap_tag[t] >= 0)
                printf("%s cap_tag %s %d\n", a->name, sel4_cap_tag_names[t], a->cap_tag[t]);
        printf("%s bootinfo size %u\n", a->name, a->bootinfo_size);
        printf("%s bootinfo schedcontrol %u\n", a->name, a->bootinfo_schedcontrol);
        printf("%s bootinfo untyped %u\n", a->name, a->bootinfo_untyped);
        printf("%s bootinfo untypedList %u\n", a->name, a->bootinfo_untyped_list);
        printf("%s constant UserTop 0x%llx\n", a->name, (unsigned long long)a->user_top);
    }
    return 0;
}
