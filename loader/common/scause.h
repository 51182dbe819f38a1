/* Decoding of RISC-V scause / stval for one-line trap reports (the riscv64
 * loader's trap handler), as esr.h does for AArch64's ESR. */
#ifndef BOOTCHECK_SCAUSE_H
#define BOOTCHECK_SCAUSE_H

#include <stdint.h>

#define SCAUSE_INTERRUPT (UINT64_C(1) << 63)

/* "load page fault", "supervisor timer interrupt", ... or "reserved cause". */
const char *scause_name(uint64_t scause);

/* What stval holds for this cause: "address", "instruction" or "" (none). */
const char *scause_stval_meaning(uint64_t scause);

#endif
