/* Which seL4 ABI the root task runs on, found out at run time (a stock
 * elfloader packs this ELF unchanged, so nothing chosen at build time could
 * follow the kernel): MCS or not from the BootInfo's own consistency, SMP
 * from numNodes, the release from two harmless invocations whose error
 * code differs by release (targets/abi/README.md lists the evidence). A
 * root task built with ROOTTASK_FORCED_RELEASE skips the detection and
 * takes the ABI it was built for (the "root task built for another kernel"
 * mutants). */
#ifndef ROOTTASK_ABI_DETECT_H
#define ROOTTASK_ABI_DETECT_H

#include <stdbool.h>

#include "sel4_abi.h"

/* Sets kernel_abi (kernel_abi.h). bi is the BootInfo, or 0 when x0 was
 * not usable: then only MCS or not is found (enough to print why the boot
 * fails; nothing is invoked). Prints nothing: the console's syscall number
 * is what is being found out. Returns false when the ABI cannot be told;
 * kernel_abi is then still set well enough to print abi_detect_failure()
 * and halt, if even that could be told (abi_detect_can_print()). */
bool abi_detect(const seL4_BootInfo *bi);

bool abi_detect_can_print(void);

/* Prints the evidence (facts sel4.abi.probe.*) and the result
 * "sel4.abi = <release> <mcs|nonmcs> smp=<0|1>" (and sel4.abi.forced = 1 in
 * a forced build). After a failure, only the evidence gathered. */
void abi_detect_report(void);

/* "cannot tell the seL4 release: ..." with the evidence. */
const char *abi_detect_failure(void);

#endif
