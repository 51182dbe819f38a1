#ifndef LOADER_POWER_H
#define LOADER_POWER_H

#include <stdint.h>

enum psci_conduit {
    PSCI_CONDUIT_UNKNOWN = 0,
    PSCI_CONDUIT_HVC,
    PSCI_CONDUIT_SMC,
};

/* Set from the DTB's /psci "method" once it is known. */
void power_set_conduit(enum psci_conduit c);
const char *power_conduit_name(void);

/* PSCI CPU_ON (0xC4000003): starts the core with MPIDR affinity `target`
 * at physical `entry` with x0 = `context`, through the DTB's conduit.
 * Returns PSCI's status (0 success, negative errors: psci_error_name). */
long psci_cpu_on(uint64_t target, uint64_t entry, uint64_t context);
const char *psci_error_name(long status);

/* Stops the machine so that QEMU exits: PSCI SYSTEM_OFF. Never returns. */
void loader_halt(void) __attribute__((noreturn));

/* Prints "loader: error: <msg>" and stops the machine. */
void loader_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
