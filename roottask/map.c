#include "map.h"

#include "alloc.h"
#include "arch.h"
#include "invoke.h"

/* AArch64 EL1: up to 3 missing levels (PUD, PD, PT), hyp: 2; riscv64 Sv39: 2. */
#define MAX_MISSING_LEVELS ARCH_MAX_MISSING_PAGE_TABLES

static unsigned page_tables;

unsigned map_page_tables_created(void)
{
    return page_tables;
}

seL4_Word map_frame(seL4_Word frame, seL4_Word vspace, seL4_Word vaddr, seL4_Word rights,
                    seL4_Word attr)
{
    for (unsigned tries = 0; tries <= MAX_MISSING_LEVELS; tries++) {
        /* A missing level is expected, not a failure: try quietly. */
        invoke_set_quiet(1);
        seL4_Word error = page_map(frame, vspace, vaddr, rights, attr);
        invoke_set_quiet(0);
        if (error == SEL4_NO_ERROR)
            return error;
        if (error != SEL4_FAILED_LOOKUP)
            /* A failed invocation changes nothing: repeat it to report it. */
            return page_map(frame, vspace, vaddr, rights, attr);
        seL4_Word pt = alloc_kernel_object(ARCH_OBJECT_PAGE_TABLE, 0);
        if (pt == 0)
            return MAP_ALLOC_FAILED;
        page_tables++;
        error = page_table_map(pt, vspace, vaddr, ARCH_VM_DEFAULT);
        if (error != SEL4_NO_ERROR)
            return error;
    }
    return page_map(frame, vspace, vaddr, rights, attr);
}
