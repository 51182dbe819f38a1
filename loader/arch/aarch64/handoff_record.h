#ifndef LOADER_HANDOFF_RECORD_H
#define LOADER_HANDOFF_RECORD_H

#include "../../common/plan.h"

/* The loader's half of the opt-in hand-off record protocol
 * (loader/common/handoff_record.h): if the payload has a "handoff.record"
 * member, checks that the record lies inside the kernel image just loaded and
 * writes the plan's hand-off values there. Without the member it writes
 * nothing. Call after the kernel's bytes are in place, or they would
 * overwrite the record. */
void handoff_record_write(const struct boot_plan *plan);

/* Defined (absolute, nonzero) by the pack step only for a payload with the
 * member; as a weak undefined symbol it is 0 otherwise. Testing it instead of
 * searching the archive keeps a boot without the protocol at one branch. */
extern const char payload_has_handoff_record[] __attribute__((weak));

#endif
