/* emu-check on riscv64: a model of QEMU's virt board as OpenSBI leaves it
 * for the next stage (S-mode at the image's entry, a0 = hart id, a1 = DTB),
 * with a small SBI model in place of the firmware, run on Unicorn 2.0.1 up to
 * the loader's jump to the kernel; then the hand-off is judged against seL4's
 * RISC-V contract (rv_checks.c). Unicorn quirks (measured, see
 * /work/shared/sel4-riscv-handoff.md): it starts in M-mode and has no
 * privilege register (an M-mode prologue `mret`s into S-mode), it checks the
 * virtual fetch address against its memory map (the kernel window is an alias
 * of RAM), and an ecall reaches the interrupt hook as intno 8 with the PC
 * already past it. */
#ifndef EMU_RV_H
#define EMU_RV_H

#include <stdint.h>
#include <stdio.h>

#include "../../image.h"
#include "../../machine.h"
#include "../../strbuf.h"

#define RV_RAM_BASE        UINT64_C(0x80000000)
#define RV_FIRMWARE_END    UINT64_C(0x80200000)   /* OpenSBI's 2 MiB; fw_jump's next stage */
#define RV_UART_BASE       UINT64_C(0x10000000)   /* ns16550a */
#define RV_MAX_HARTS       8

enum rv_hart_state {
    RV_HART_STOPPED,     /* never started (SBI HSM: STOPPED) */
    RV_HART_RUNNING,
    RV_HART_ENTERED,     /* reached the kernel entry */
    RV_HART_TRAPPED,     /* took an exception, or an SBI call not modelled */
    RV_HART_HALTED,      /* hart_stop, or the machine was shut down */
};

struct rv_entry_state {
    uint64_t a[8];       /* a0..a7 */
    uint64_t sp, pc, satp, sstatus;
};

struct rv_hart {
    unsigned id;
    enum rv_hart_state state;
    uint64_t start_addr, opaque;   /* from hart_start */
    int fresh;                     /* started, not run yet */
    void *ctx;                     /* uc_context of a hart not on the CPU */
    uint64_t instructions, last_pc;
    unsigned trap_cause;           /* Unicorn's exception index = the RISC-V cause */
    struct rv_entry_state at_entry;
};

struct rv_store { uint64_t addr, pc, value; uint32_t size; unsigned hart; };

enum rv_outcome { RV_REACHED_KERNEL, RV_SHUTDOWN, RV_BUDGET, RV_TRAP, RV_SBI_UNMODELLED,
                  RV_UNMODELLED_ACCESS, RV_ERROR };

struct rv_sbi_count { uint64_t ext, fid; unsigned n; };

/* Instructions per loader phase on the boot hart (rv_phases.c). */
#define RV_MAX_PHASES        12
#define RV_MAX_PHASE_ENTRIES 64
struct rv_phase_entry { uint64_t addr; unsigned phase; };
struct rv_phases {
    int active;                    /* --phases given and parsed */
    uint64_t main;                 /* the C entry: before it is reset_to_c */
    struct { char name[24]; char symbols[512]; uint64_t instructions; unsigned calls; } phase[RV_MAX_PHASES];
    unsigned nphases;
    struct rv_phase_entry entry[RV_MAX_PHASE_ENTRIES];
    unsigned nentries;
    char missing[512];             /* symbols the image lacks */
    int main_seen, open;           /* open: the phase now running, -1 none */
    uint64_t main_at, opened_at, ret, sp;
};

struct rv_run {
    enum rv_outcome outcome;
    char message[1024];
    struct rv_hart harts[RV_MAX_HARTS];
    unsigned nharts;               /* harts the DTB lists */
    unsigned boot_hart;
    uint64_t budget, total;
    struct rv_store *stores;
    size_t nstores, stores_cap;
    struct rv_sbi_count sbi[32];
    unsigned nsbi;
    uint64_t sbi_ext, sbi_fid;     /* the call that stopped the run (unmodelled / shutdown) */
    uint64_t kernel_entry, kernel_entry_pa;
    struct rv_phases phases;
};

/* Machine: RAM at 0x80000000, the kernel window alias, a 16550 whose writes
 * are console output, the M-mode prologue. */
int rv_machine_create(struct emu_machine *m, uint64_t ram_size, char *err, size_t errlen);
int rv_machine_alias(struct emu_machine *m, uint64_t va_offset, char *err, size_t errlen);
/* Runs the M-mode prologue: PMP open, MPP = S, mepc = entry, mret; leaves
 * the CPU in S-mode at entry with a0 = hart, a1 = dtb. */
int rv_machine_enter_smode(struct emu_machine *m, uint64_t entry, uint64_t hart, uint64_t dtb,
                           char *err, size_t errlen);
void rv_console_putc(struct emu_machine *m, char c);
uint64_t rv_reg(struct emu_machine *m, int regid);
void rv_reg_set(struct emu_machine *m, int regid, uint64_t v);
/* Drops Unicorn's TLB (a satp mode change flushes it): needed after
 * switching harts, whose satp differ. */
void rv_tlb_flush(struct emu_machine *m);

/* SBI model: handles the ecall on the CPU now; returns 0 to continue, 1 if
 * the run must stop (shutdown, an unmodelled call: r->outcome says). */
int rv_sbi_call(struct emu_machine *m, struct rv_run *r, unsigned hart);

void rv_run(struct emu_machine *m, const struct emu_image *img, struct rv_run *r);

/* --phases "main=SYM;NAME=SYM,SYM;..." resolved against the image's symbols. */
int rv_phases_parse(struct rv_phases *p, const char *spec, const struct emu_symbols *syms, char *err,
                    size_t errlen);
void rv_phases_step(struct rv_phases *p, struct emu_machine *m, uint64_t pc, uint64_t done);
void rv_run_free(struct rv_run *r);
const char *rv_outcome_name(enum rv_outcome o);
const char *rv_hart_state_name(enum rv_hart_state s);

/* Checks. */
enum rv_status { RV_PASS, RV_FAIL, RV_SKIP };
#define RV_NCHECKS 8
struct rv_check {
    const char *name;
    enum rv_status status;
    struct strbuf msg;
};
struct rv_ctx {
    const struct emu_image *img;
    struct emu_machine *m;
    const struct rv_run *run;
    const struct rv_entry_state *e;     /* the boot hart's, or NULL */
    uint64_t dtb_in;                    /* what a1 pointed at on entry */
};
void rv_run_checks(const struct rv_ctx *x, struct rv_check out[RV_NCHECKS]);
void rv_checks_free(struct rv_check c[RV_NCHECKS]);
/* The write map: stores grouped by destination region, one line each. */
void rv_write_map(const struct rv_ctx *x, struct strbuf *out);

/* The memory map's observations, as more JSON members of "observations"
 * (table pages, stores by destination, stores into rootserver). */
void rv_observations_json(FILE *f, const struct rv_ctx *x);

void rv_report_text(FILE *f, const struct rv_ctx *x, const struct rv_check *c);
int rv_report_json(const char *path, const char *image, const struct rv_ctx *x, const struct rv_check *c);

#endif
