/* Runs a loaded machine from reset until the loader branches to the kernel
 * entry, counting instructions within a budget and recording every store. */
#ifndef EMU_RUN_H
#define EMU_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "expected.h"
#include "image.h"
#include "machine.h"

enum emu_outcome {
    EMU_REACHED_KERNEL,     /* PC == kernel entry: the hand-off state is checkable */
    EMU_STOPPED_MACHINE,    /* PSCI SYSTEM_OFF / RESET: the loader's error stop */
    EMU_BUDGET_EXHAUSTED,
    EMU_UNMODELLED_ACCESS,
    EMU_EXCEPTION,          /* any other exception (abort, undefined, SVC, ...) */
    EMU_ERROR,              /* Unicorn itself failed */
};

/* One guest store, or a run of them. The loader runs identity-mapped, so
 * addr is physical. A run of zero stores from one PC is one record (value 0,
 * size their total). Records wholly inside one coalesce region
 * (emu_run_config) that touch are one record too: `spans` is set, size
 * covers them all, pc is the first one's and value (0) means nothing. */
struct emu_store {
    uint64_t addr, pc;
    uint64_t value;          /* the stored bytes (size <= 8) */
    uint32_t size;
    uint8_t spans;           /* stores of several values or PCs, coalesced */
};

/* A core the loader started with PSCI CPU_ON. Unicorn has one CPU, so each
 * such core runs on it in turns (its own saved context): right after the
 * CPU_ON until it parks (WFE) or its slice ends, and again after the boot
 * core reached the kernel, until it reaches the kernel entry too. */
#define EMU_MAX_CORES 8
enum emu_core_state { EMU_CORE_PARKED, EMU_CORE_ENTERED, EMU_CORE_STUCK, EMU_CORE_FAILED };
struct emu_core {
    uint64_t target, entry, context;   /* CPU_ON's arguments */
    enum emu_core_state state;
    uint64_t instructions;
    uint64_t last_pc;
    struct emu_entry_state at_entry;   /* when state is EMU_CORE_ENTERED */
    void *uc_ctx;                      /* uc_context* while parked */
};

struct emu_run {
    enum emu_outcome outcome;
    uint64_t instructions;   /* executed from reset up to (not including) the entry */
    uint64_t last_pc;
    uint64_t kernel_entry;   /* 0: unknown (no payload) */
    uint32_t intno;          /* for EMU_STOPPED_MACHINE / EMU_EXCEPTION */
    uint64_t psci_function;
    struct emu_store *stores;
    size_t nstores, stores_cap;
    /* The records there would be without coalesce regions (one per guest
     * store, a run of zero stores from one PC as one): what reports count. */
    uint64_t store_count;
    char message[512];       /* one sentence describing the outcome */
    struct emu_core cores[EMU_MAX_CORES];
    unsigned ncores;
    unsigned cpu_on_refused; /* CPU_ON calls beyond EMU_MAX_CORES */
};

struct emu_run_config {
    uint64_t budget;         /* instructions */
    uint64_t kernel_entry;   /* 0: run until something else stops it */
    uint64_t kernel_entry_pa; /* the same entry reached with the MMU off (0: none) */
    /* Regions where the caller reads only whether stores stayed inside (Linux
     * mode: the allowed-write map): records there are coalesced, so a 32 MB
     * Image copy is one record, not four million. None: every record kept. */
    const struct emu_region *coalesce;
    unsigned ncoalesce;
};

/* Runs m (already reset) with the image's symbols for messages. */
void emu_run(struct emu_machine *m, const struct emu_image *img, const struct emu_run_config *cfg,
             struct emu_run *out);
void emu_run_free(struct emu_run *r);

const char *emu_outcome_name(enum emu_outcome o);

#endif
