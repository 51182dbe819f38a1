/* Decoding of ESR_ELx for one-line fault reports: shared by the loader's
 * exception vectors and the stand-in kernel's, so both name a fault alike. */
#ifndef BOOTCHECK_ESR_H
#define BOOTCHECK_ESR_H

#include <stdint.h>

#define ESR_EC(esr)         (((esr) >> 26) & 0x3f)
#define ESR_EC_SVC64        0x15

/* Human name of the exception class, e.g. "data abort" (the EC value
 * printed beside it tells which EL the abort came from). */
const char *esr_class_name(uint64_t esr);

/* For aborts: the fault status ("translation fault, level 3") and, for data
 * aborts, ", write" or ", read"; otherwise "". Written into buf. */
void esr_fault_detail(uint64_t esr, char *buf, unsigned len);

#endif
