#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QEMU's exception numbers as Unicorn reports them to UC_HOOK_INTR. */
#define EXCP_UDEF           1
#define EXCP_SWI            2
#define EXCP_PREFETCH_ABORT 3
#define EXCP_DATA_ABORT     4
#define EXCP_HVC            11
#define EXCP_SMC            13

#define PSCI_SYSTEM_OFF     0x84000008u
#define PSCI_SYSTEM_RESET   0x84000009u
#define PSCI_CPU_ON_64      0xC4000003u
#define PSCI_CPU_ON_32      0x84000003u

#define INSN_WFE            0xd503205fu
#define PSTATE_EL1H_MASKED  UINT64_C(0x3c5)
#define PSTATE_EL2H_MASKED  UINT64_C(0x3c9)
#define SCTLR_EL1_RESET     UINT64_C(0x30d00800)   /* RES1 bits, MMU and caches off */
#define SCTLR_EL2_RESET     UINT64_C(0x30c50830)
/* Instructions a started core may run before it parks or enters the kernel. */
#define CORE_SLICE          5000000u

struct run_state {
    struct emu_machine *m;
    const struct emu_image *img;
    struct emu_run *out;
    uint64_t budget;
    uint64_t kernel_entry, kernel_entry_pa;
    int core;                /* -1: the boot core runs; else the started core running */
    int pending_core;        /* a CPU_ON just happened: run that core until it parks */
    int core_parked;         /* the running core executed WFE */
    int core_entered;        /* the running core reached the kernel entry */
    int park_on_wfe;         /* first run of a started core: park it at its first WFE */
    const struct emu_region *coalesce;
    unsigned ncoalesce;
    int last_region;         /* the coalesce region holding the log's last record, -1: none */
    struct emu_store tail;   /* the last record (a store or a run of zero stores), not yet logged */
    int has_tail;
};

static int coalesce_region(const struct run_state *s, const struct emu_store *st)
{
    for (unsigned i = 0; i < s->ncoalesce; i++)
        if (st->addr >= s->coalesce[i].start && st->addr + st->size <= s->coalesce[i].end)
            return (int)i;
    return -1;
}

/* Logs the tail record: as a record of its own, or, when it and the log's
 * last record lie in one coalesce region and touch, as part of that one. */
static void log_tail(struct run_state *s)
{
    struct emu_run *r = s->out;
    const struct emu_store *st = &s->tail;
    if (!s->has_tail)
        return;
    s->has_tail = 0;
    if (s->last_region >= 0) {
        struct emu_store *last = &r->stores[r->nstores - 1];
        const struct emu_region *in = &s->coalesce[s->last_region];
        if (last->addr + last->size == st->addr && st->addr >= in->start && st->addr + st->size <= in->end &&
            last->size < UINT32_MAX - st->size) {
            last->size += st->size;
            last->value = 0;
            last->spans = 1;
            r->store_count++;
            return;
        }
    }
    if (r->nstores == r->stores_cap) {
        size_t cap = r->stores_cap ? r->stores_cap * 2 : 65536;
        struct emu_store *p = realloc(r->stores, cap * sizeof *p);
        if (p == NULL)
            return;
        r->stores = p;
        r->stores_cap = cap;
    }
    r->stores[r->nstores++] = *st;
    r->store_count++;
    s->last_region = coalesce_region(s, st);
}

/* Every store is a record but for runs of zero stores from one PC, which are
 * one (while memory hooks are installed, Unicorn performs DC ZVA as
 * single-byte stores). Records wholly inside one coalesce region that touch
 * are logged as one, whose values and PCs no caller reads. */
static void record_store(struct run_state *s, uint64_t addr, uint32_t size, uint64_t value, uint64_t pc)
{
    struct emu_store *p = &s->tail;
    if (s->has_tail && value == 0 && p->value == 0 && p->pc == pc && p->addr + p->size == addr &&
        p->size < UINT32_MAX - size) {
        p->size += size;
        return;
    }
    log_tail(s);
    *p = (struct emu_store){ addr, pc, value, size, 0 };
    s->has_tail = 1;
}

static void on_core_code(uc_engine *uc, uint64_t address, struct run_state *s)
{
    struct emu_core *c = &s->out->cores[s->core];
    if (address == s->kernel_entry || (s->kernel_entry_pa != 0 && address == s->kernel_entry_pa)) {
        s->core_entered = 1;
        uc_emu_stop(uc);
        return;
    }
    uint32_t insn = 0;
    c->last_pc = address;
    if (++c->instructions > CORE_SLICE ||
        (s->park_on_wfe && uc_mem_read(uc, address, &insn, sizeof insn) == UC_ERR_OK &&
         insn == INSN_WFE)) {
        s->core_parked = 1;
        uc_emu_stop(uc);
    }
}

static void on_code(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    (void)size;
    struct run_state *s = user;
    if (s->core >= 0) {
        on_core_code(uc, address, s);
        return;
    }
    /* A loader may branch to the entry's virtual address (MMU on, as seL4
     * needs) or to its physical one; both are the kernel's first instruction. */
    if (address == s->kernel_entry || (s->kernel_entry_pa != 0 && address == s->kernel_entry_pa)) {
        s->out->kernel_entry = address;
        /* Stopping here leaves the entry instruction unexecuted. */
        s->out->outcome = EMU_REACHED_KERNEL;
        uc_emu_stop(uc);
        return;
    }
    s->out->last_pc = address;
    if (++s->out->instructions > s->budget) {
        s->out->instructions--;
        s->out->outcome = EMU_BUDGET_EXHAUSTED;
        uc_emu_stop(uc);
    }
}

static void on_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                     void *user)
{
    (void)type;
    struct run_state *s = user;
    uint64_t pc;
    uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
    record_store(s, addr, (uint32_t)size, (uint64_t)value, pc);
}

/* PSCI CPU_ON: record the core and answer SUCCESS; emu_run then runs it. */
static int cpu_on(uc_engine *uc, struct run_state *s)
{
    struct emu_run *r = s->out;
    if (r->ncores == EMU_MAX_CORES) {
        r->cpu_on_refused++;
        return 0;
    }
    struct emu_core *c = &r->cores[r->ncores];
    *c = (struct emu_core){ .target = emu_reg(s->m, UC_ARM64_REG_X1),
                            .entry = emu_reg(s->m, UC_ARM64_REG_X2),
                            .context = emu_reg(s->m, UC_ARM64_REG_X3), .state = EMU_CORE_PARKED };
    uint64_t success = 0;
    uc_reg_write(uc, UC_ARM64_REG_X0, &success);
    s->pending_core = (int)r->ncores++;
    uc_emu_stop(uc);
    return 1;
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct run_state *s = user;
    if (s->core >= 0) {          /* a started core faulted: it stays "stuck" */
        uc_emu_stop(uc);
        return;
    }
    uint64_t x0 = emu_reg(s->m, UC_ARM64_REG_X0);
    if ((intno == EXCP_HVC || intno == EXCP_SMC) &&
        (x0 == PSCI_CPU_ON_64 || x0 == PSCI_CPU_ON_32) && cpu_on(uc, s))
        return;
    s->out->intno = intno;
    if ((intno == EXCP_HVC || intno == EXCP_SMC) &&
        (x0 == PSCI_SYSTEM_OFF || x0 == PSCI_SYSTEM_RESET)) {
        s->out->outcome = EMU_STOPPED_MACHINE;
        s->out->psci_function = x0;
    } else {
        s->out->outcome = EMU_EXCEPTION;
    }
    uc_emu_stop(uc);
}

static const char *exception_name(uint32_t intno)
{
    switch (intno) {
    case EXCP_UDEF: return "undefined instruction";
    case EXCP_SWI: return "SVC";
    case EXCP_PREFETCH_ABORT: return "prefetch abort";
    case EXCP_DATA_ABORT: return "data abort";
    case EXCP_HVC: return "HVC";
    case EXCP_SMC: return "SMC";
    }
    return "exception";
}

static void describe(struct run_state *s, uc_err err)
{
    struct emu_run *r = s->out;
    char sym[128], line[160];
    const struct emu_symbols *syms = &s->img->syms;
    emu_uart_last_line(s->m, line, sizeof line);
    switch (r->outcome) {
    case EMU_REACHED_KERNEL:
        snprintf(r->message, sizeof r->message,
                 "reached kernel entry 0x%lx after %lu instructions", (unsigned long)r->kernel_entry,
                 (unsigned long)r->instructions);
        break;
    case EMU_STOPPED_MACHINE:
        snprintf(r->message, sizeof r->message,
                 "loader stopped the machine (PSCI %s via %s from %s) after %lu instructions;"
                 " last UART line: '%s'",
                 r->psci_function == PSCI_SYSTEM_OFF ? "SYSTEM_OFF" : "SYSTEM_RESET",
                 r->intno == EXCP_HVC ? "HVC" : "SMC", emu_symbolize(syms, r->last_pc, sym, sizeof sym),
                 (unsigned long)r->instructions, line);
        break;
    case EMU_BUDGET_EXHAUSTED:
        snprintf(r->message, sizeof r->message,
                 "did not reach kernel entry within %lu instructions; last PC 0x%lx (%s),"
                 " last UART line '%s'", (unsigned long)s->budget, (unsigned long)r->last_pc,
                 emu_symbolize(syms, r->last_pc, sym, sizeof sym), line);
        break;
    case EMU_UNMODELLED_ACCESS: {
        uint64_t a = s->m->unmodelled_addr, pc = s->m->unmodelled_pc;
        if (a >= s->m->ram_base + s->m->ram_size && a < (UINT64_C(1) << 40))
            snprintf(r->message, sizeof r->message,
                     "loader accessed 0x%lx, beyond the end of RAM 0x%lx, from PC 0x%lx (%s)",
                     (unsigned long)a, (unsigned long)(s->m->ram_base + s->m->ram_size),
                     (unsigned long)pc, emu_symbolize(syms, pc, sym, sizeof sym));
        else
            snprintf(r->message, sizeof r->message,
                     "loader touched unmodelled device at 0x%lx from PC 0x%lx (%s); last UART line '%s'",
                     (unsigned long)a, (unsigned long)pc, emu_symbolize(syms, pc, sym, sizeof sym),
                     line);
        break;
    }
    case EMU_EXCEPTION:
        snprintf(r->message, sizeof r->message,
                 "loader took an exception (%s, Unicorn intno %u) at PC 0x%lx (%s) after %lu"
                 " instructions; last UART line '%s'", exception_name(r->intno), r->intno,
                 (unsigned long)r->last_pc, emu_symbolize(syms, r->last_pc, sym, sizeof sym),
                 (unsigned long)r->instructions, line);
        break;
    case EMU_ERROR:
        snprintf(r->message, sizeof r->message,
                 "emulation failed at PC 0x%lx (%s): %s; last UART line '%s'",
                 (unsigned long)r->last_pc, emu_symbolize(syms, r->last_pc, sym, sizeof sym),
                 uc_strerror(err), line);
        break;
    }
}

/* Runs the started core i on the one Unicorn CPU from where it stopped (or
 * from its PSCI entry) until it parks, enters the kernel or uses its slice;
 * the boot core's state is saved around it and put back. */
static void run_core(struct run_state *s, int i, int from_entry)
{
    struct emu_machine *m = s->m;
    struct emu_core *c = &s->out->cores[i];
    uc_context *boot = NULL;
    if (uc_context_alloc(m->uc, &boot) != UC_ERR_OK || uc_context_save(m->uc, boot) != UC_ERR_OK) {
        c->state = EMU_CORE_FAILED;
        return;
    }
    s->core = i;
    s->core_parked = s->core_entered = 0;
    /* After the boot core's release, a WFE is just a wait for the flag. */
    s->park_on_wfe = from_entry;
    uint64_t pc;
    if (from_entry) {
        /* PSCI CPU_ON (QEMU's): the core starts at the caller's EL, MMU and
         * caches off, x0 = context. The caller is on this very CPU at that
         * EL, so only the mode bits and SCTLR are set afresh (Unicorn could
         * not move between ELs by a PSTATE write anyway). */
        unsigned el = (unsigned)(emu_reg(m, UC_ARM64_REG_PSTATE) >> 2) & 3;
        uint64_t pstate = el == 2 ? PSTATE_EL2H_MASKED : PSTATE_EL1H_MASKED;
        if (uc_reg_write(m->uc, UC_ARM64_REG_PSTATE, &pstate) != UC_ERR_OK) {
            c->state = EMU_CORE_FAILED;
            goto back;
        }
        emu_sysreg_write(m, 3, 0, 1, 0, 0, SCTLR_EL1_RESET);
        if (el == 2)
            emu_sysreg_write(m, 3, 4, 1, 0, 0, SCTLR_EL2_RESET);
        uc_reg_write(m->uc, UC_ARM64_REG_X0, &c->context);
        pc = c->entry;
    } else {
        uc_context_restore(m->uc, (uc_context *)c->uc_ctx);
        pc = emu_reg(m, UC_ARM64_REG_PC);
    }
    c->instructions = 0;
    uc_emu_start(m->uc, pc, UINT64_MAX, 0, 0);
    if (s->core_entered) {
        c->state = EMU_CORE_ENTERED;
        emu_read_entry_state(m, &c->at_entry);
    } else {
        c->state = s->core_parked ? EMU_CORE_PARKED : EMU_CORE_STUCK;
        if (c->uc_ctx == NULL && uc_context_alloc(m->uc, (uc_context **)&c->uc_ctx) != UC_ERR_OK)
            c->state = EMU_CORE_FAILED;
        else
            uc_context_save(m->uc, (uc_context *)c->uc_ctx);
    }
back:
    s->core = -1;
    uc_context_restore(m->uc, boot);
    uc_context_free(boot);
}

static void run_core_from_entry(struct run_state *s, uint64_t boot_pc)
{
    run_core(s, s->pending_core, 1);
    uc_reg_write(s->m->uc, UC_ARM64_REG_PC, &boot_pc);
}

/* After the boot core reached the kernel: every started core runs on from
 * where it parked, to its own kernel entry. */
static void run_cores_to_kernel(struct run_state *s)
{
    for (unsigned i = 0; i < s->out->ncores; i++)
        if (s->out->cores[i].state == EMU_CORE_PARKED || s->out->cores[i].state == EMU_CORE_STUCK)
            run_core(s, (int)i, 0);
}

void emu_run(struct emu_machine *m, const struct emu_image *img, const struct emu_run_config *cfg,
             struct emu_run *out)
{
    memset(out, 0, sizeof *out);
    out->kernel_entry = cfg->kernel_entry;
    out->outcome = EMU_ERROR;
    struct run_state s = { m, img, out, cfg->budget, cfg->kernel_entry, cfg->kernel_entry_pa, -1, -1,
                           0, 0, 0, cfg->coalesce, cfg->ncoalesce, -1, { 0, 0, 0, 0, 0 }, 0 };

    uc_hook code, write, intr;
    uc_hook_add(m->uc, &code, UC_HOOK_CODE, on_code, &s, 1, 0);
    uc_hook_add(m->uc, &write, UC_HOOK_MEM_WRITE, on_write, &s, 1, 0);
    uc_hook_add(m->uc, &intr, UC_HOOK_INTR, on_interrupt, &s, 1, 0);

    uint64_t pc = emu_reg(m, UC_ARM64_REG_PC);
    /* Not uc_emu_start's `until`: with it, 2.0.1 takes a prefetch abort on
     * a branch to a high kernel VA that translates fine without it. */
    uc_err err;
    for (;;) {
        s.pending_core = -1;
        err = uc_emu_start(m->uc, pc, UINT64_MAX, 0, 0);
        if (s.pending_core < 0 || m->unmodelled)
            break;
        /* CPU_ON returned to the boot core (its PC is past the hvc/smc). */
        pc = emu_reg(m, UC_ARM64_REG_PC);
        run_core_from_entry(&s, pc);
    }
    if (out->outcome == EMU_REACHED_KERNEL && !m->unmodelled)
        run_cores_to_kernel(&s);
    log_tail(&s);
    uint64_t now = emu_reg(m, UC_ARM64_REG_PC);
    if (m->unmodelled) {
        out->outcome = EMU_UNMODELLED_ACCESS;
    } else if (out->outcome == EMU_REACHED_KERNEL && now != out->kernel_entry) {
        out->outcome = EMU_ERROR;
        snprintf(out->message, sizeof out->message, "stopped at kernel entry 0x%lx but PC is 0x%lx",
                 (unsigned long)out->kernel_entry, (unsigned long)now);
        return;
    }
    describe(&s, err);
}

void emu_run_free(struct emu_run *r)
{
    for (unsigned i = 0; i < r->ncores; i++)
        if (r->cores[i].uc_ctx != NULL)
            uc_context_free((uc_context *)r->cores[i].uc_ctx);
    free(r->stores);
    r->stores = NULL;
    r->nstores = r->stores_cap = 0;
}

const char *emu_outcome_name(enum emu_outcome o)
{
    switch (o) {
    case EMU_REACHED_KERNEL: return "reached_kernel";
    case EMU_STOPPED_MACHINE: return "stopped_machine";
    case EMU_BUDGET_EXHAUSTED: return "budget_exhausted";
    case EMU_UNMODELLED_ACCESS: return "unmodelled_access";
    case EMU_EXCEPTION: return "exception";
    case EMU_ERROR: return "error";
    }
    return "?";
}
