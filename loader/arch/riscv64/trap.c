/* Reports a trap taken by the loader, or by a kernel that faulted before
 * installing its own stvec, with scause and stval in words, in one line. */
#include <stdint.h>

#include "../../common/fmt.h"
#include "../../common/scause.h"
#include "console.h"

extern int loader_handed_off;

void loader_trap(uint64_t scause, uint64_t sepc, uint64_t stval, uint64_t sstatus, uint64_t satp)
{
    const char *meaning = scause_stval_meaning(scause);
    char what[40] = "";
    if (*meaning)
        bc_snprintf(what, sizeof what, ", %s 0x%lx", meaning, (unsigned long)stval);
    console_printf("loader: error: trap %s (scause 0x%lx) at sepc 0x%lx%s, %s%s\n",
                   scause_name(scause), (unsigned long)scause, (unsigned long)sepc, what,
                   satp >> 60 ? "after satp was set" : "before satp was set",
                   loader_handed_off ? ", after the jump to the kernel (before it set its own stvec)"
                                     : "");
    console_printf("loader:   scause 0x%lx sepc 0x%lx stval 0x%lx sstatus 0x%lx satp 0x%lx\n",
                   (unsigned long)scause, (unsigned long)sepc, (unsigned long)stval,
                   (unsigned long)sstatus, (unsigned long)satp);
}
