#ifndef LOADER_OVERRIDE_H
#define LOADER_OVERRIDE_H

#include <stdint.h>

/* Test-only: if the payload has a "handoff.override" member (lines of the
 * form "x4=0x40230000"), replace those hand-off registers after planning and
 * loading, and say so on the console. Lets the tests hand a kernel exactly
 * the contract violation they want to see rejected. Production payloads made
 * without OVERRIDE= have no such member. */
#define PAYLOAD_OVERRIDE "handoff.override"

void override_apply(uint64_t x[6]);

#endif
