/* Runs the loader on every hart it starts, one Unicorn CPU shared in turns:
 * each hart has its own saved context (as CPU_ON gives a core its own on
 * AArch64) and runs SLICE instructions before the next one's turn, so a hart
 * spinning on a flag another sets (seL4's elfloader does) lets it proceed. */
#include "rv.h"

#include <stdlib.h>
#include <string.h>

#include "../../../../loader/common/scause.h"

#define SLICE          20000u
#define EXCP_U_ECALL   8u      /* Unicorn reports every ecall with this index */
#define EXCP_S_ECALL   9u
#define EXCP_ILLEGAL   2u
#define CSR_TIME       0xc01u
#define INSNS_PER_TICK 100u    /* QEMU virt's 10 MHz timebase for a 1 G instructions/s hart */

struct sched {
    struct emu_machine *m;
    const struct emu_image *img;
    struct rv_run *r;
    unsigned cur;
    uint64_t slice_left;
    int stop_all;          /* the run is over (shutdown, unmodelled call, budget) */
};

static void record_store(struct rv_run *r, uint64_t addr, uint32_t size, uint64_t value, uint64_t pc,
                         unsigned hart)
{
    if (r->nstores > 0 && value == 0) {   /* merge runs of zero stores from one PC */
        struct rv_store *last = &r->stores[r->nstores - 1];
        if (last->pc == pc && last->value == 0 && last->hart == hart && last->addr + last->size == addr &&
            last->size < UINT32_MAX - size) {
            last->size += size;
            return;
        }
    }
    if (r->nstores == r->stores_cap) {
        size_t cap = r->stores_cap ? r->stores_cap * 2 : 65536;
        struct rv_store *p = realloc(r->stores, cap * sizeof *p);
        if (p == NULL)
            return;
        r->stores = p;
        r->stores_cap = cap;
    }
    r->stores[r->nstores++] = (struct rv_store){ addr, pc, value, size, hart };
}

static void read_entry(struct emu_machine *m, struct rv_entry_state *e)
{
    for (int i = 0; i < 8; i++)
        e->a[i] = rv_reg(m, UC_RISCV_REG_A0 + i);
    e->sp = rv_reg(m, UC_RISCV_REG_SP);
    e->pc = rv_reg(m, UC_RISCV_REG_PC);
    e->satp = rv_reg(m, UC_RISCV_REG_SATP);
    e->sstatus = rv_reg(m, UC_RISCV_REG_SSTATUS);
}

static void on_code(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    (void)size;
    struct sched *s = user;
    struct rv_hart *h = &s->r->harts[s->cur];
    if (address == s->r->kernel_entry || (s->r->kernel_entry_pa != 0 && address == s->r->kernel_entry_pa)) {
        h->state = RV_HART_ENTERED;   /* the entry instruction stays unexecuted */
        uc_emu_stop(uc);
        return;
    }
    h->last_pc = address;
    if (s->r->phases.active && s->cur == s->r->boot_hart)
        rv_phases_step(&s->r->phases, s->m, address, h->instructions);
    h->instructions++;
    if (++s->r->total > s->r->budget) {
        s->r->outcome = RV_BUDGET;
        s->stop_all = 1;
        uc_emu_stop(uc);
        return;
    }
    if (--s->slice_left == 0)
        uc_emu_stop(uc);
}

static void on_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *user)
{
    (void)type;
    struct sched *s = user;
    uint64_t pc;
    uc_reg_read(uc, UC_RISCV_REG_PC, &pc);
    record_store(s->r, addr, (uint32_t)size, (uint64_t)value, pc, s->cur);
}

/* `rdtime rd` (csrrs rd, time, x0): Unicorn 2.0.1 has no timer behind the
 * time CSR and raises an illegal instruction; the model answers it with a
 * deterministic clock (instructions run so far / INSNS_PER_TICK) and steps
 * over it (the hook sees the PC already past the instruction, as for an
 * ecall). 1 if it was one. */
static int emulate_rdtime(struct sched *s, uint64_t next_pc)
{
    uint64_t pc = next_pc - 4;
    uint32_t insn = 0;
    if (uc_mem_read(s->m->uc, pc, &insn, sizeof insn) != UC_ERR_OK)
        return 0;
    unsigned rd = (insn >> 7) & 31;
    if ((insn & 0x7f) != 0x73 || ((insn >> 12) & 7) != 2 || ((insn >> 15) & 31) != 0 ||
        (insn >> 20) != CSR_TIME)
        return 0;
    if (rd != 0)
        rv_reg_set(s->m, UC_RISCV_REG_X0 + (int)rd, s->r->total / INSNS_PER_TICK);
    return 1;
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct sched *s = user;
    if (intno == EXCP_ILLEGAL && emulate_rdtime(s, rv_reg(s->m, UC_RISCV_REG_PC)))
        return;
    if (intno == EXCP_U_ECALL || intno == EXCP_S_ECALL) {
        if (rv_sbi_call(s->m, s->r, s->cur)) {
            if (s->r->harts[s->cur].state != RV_HART_HALTED)
                s->stop_all = 1;
            uc_emu_stop(uc);
        }
        return;
    }
    struct rv_hart *h = &s->r->harts[s->cur];
    h->state = RV_HART_TRAPPED;
    h->trap_cause = intno;
    uc_emu_stop(uc);
}

/* The state hart_start gives a hart: S-mode at start_addr, a0 = hart id,
 * a1 = opaque, satp = 0 (bare), interrupts off; other registers cleared. */
static void fresh_hart(struct emu_machine *m, struct rv_hart *h)
{
    for (int r = UC_RISCV_REG_X1; r <= UC_RISCV_REG_X31; r++)
        rv_reg_set(m, r, 0);
    rv_reg_set(m, UC_RISCV_REG_A0, h->id);
    rv_reg_set(m, UC_RISCV_REG_A1, h->opaque);
    rv_reg_set(m, UC_RISCV_REG_SSTATUS, 0);
    rv_reg_set(m, UC_RISCV_REG_SATP, 0);
    rv_reg_set(m, UC_RISCV_REG_PC, h->start_addr);
    h->fresh = 0;
}

static int save(struct emu_machine *m, struct rv_hart *h)
{
    if (h->ctx == NULL && uc_context_alloc(m->uc, (uc_context **)&h->ctx) != UC_ERR_OK)
        return -1;
    return uc_context_save(m->uc, h->ctx) == UC_ERR_OK ? 0 : -1;
}

static int next_runnable(const struct rv_run *r, unsigned from)
{
    for (unsigned k = 1; k <= r->nharts; k++) {
        unsigned i = (from + k) % r->nharts;
        if (r->harts[i].state == RV_HART_RUNNING)
            return (int)i;
    }
    return -1;
}

static const char *console_line(const struct emu_machine *m, char *buf, size_t len)
{
    return m->uart ? emu_uart_last_line(m, buf, len) : (buf[0] = '\0', buf);
}

static void describe(struct sched *s)
{
    struct rv_run *r = s->r;
    struct emu_machine *m = s->m;
    const struct rv_hart *b = &r->harts[r->boot_hart];
    char sym[128], line[160];
    console_line(m, line, sizeof line);
    const struct emu_symbols *syms = &s->img->syms;
    switch (r->outcome) {
    case RV_REACHED_KERNEL:
        snprintf(r->message, sizeof r->message,
                 "reached kernel entry 0x%lx after %lu instructions", (unsigned long)b->at_entry.pc,
                 (unsigned long)b->instructions);
        break;
    case RV_SHUTDOWN:
        snprintf(r->message, sizeof r->message,
                 "loader shut the machine down (SBI %s) at PC 0x%lx (%s) after %lu instructions;"
                 " last console line '%s'",
                 r->sbi_ext == 0x08 ? "legacy shutdown" : "SRST system_reset",
                 (unsigned long)b->last_pc, emu_symbolize(syms, b->last_pc, sym, sizeof sym),
                 (unsigned long)b->instructions, line);
        break;
    case RV_BUDGET:
        snprintf(r->message, sizeof r->message,
                 "did not reach kernel entry within %lu instructions; last PC 0x%lx (%s),"
                 " last console line '%s'", (unsigned long)r->budget, (unsigned long)b->last_pc,
                 emu_symbolize(syms, b->last_pc, sym, sizeof sym), line);
        break;
    case RV_SBI_UNMODELLED:
        snprintf(r->message, sizeof r->message,
                 "loader made an SBI call the model does not implement: extension 0x%lx function %lu"
                 " (a7 = 0x%lx, a6 = %lu) from PC 0x%lx (%s); last console line '%s'",
                 (unsigned long)r->sbi_ext, (unsigned long)r->sbi_fid, (unsigned long)r->sbi_ext,
                 (unsigned long)r->sbi_fid, (unsigned long)b->last_pc,
                 emu_symbolize(syms, b->last_pc, sym, sizeof sym), line);
        break;
    case RV_TRAP: {
        const struct rv_hart *h = b;
        for (unsigned i = 0; i < r->nharts; i++)
            if (r->harts[i].state == RV_HART_TRAPPED) {
                h = &r->harts[i];
                break;
            }
        snprintf(r->message, sizeof r->message,
                 "loader trapped on hart %u: %s (scause %u) at PC 0x%lx (%s) after %lu instructions;"
                 " last console line '%s'", h->id, scause_name(h->trap_cause), h->trap_cause,
                 (unsigned long)h->last_pc, emu_symbolize(syms, h->last_pc, sym, sizeof sym),
                 (unsigned long)h->instructions, line);
        break;
    }
    case RV_UNMODELLED_ACCESS:
        snprintf(r->message, sizeof r->message,
                 "loader %s 0x%lx, where the model has neither RAM nor a device, from PC 0x%lx (%s);"
                 " last console line '%s'", m->unmodelled_write ? "wrote" : "read or fetched",
                 (unsigned long)m->unmodelled_addr, (unsigned long)m->unmodelled_pc,
                 emu_symbolize(syms, m->unmodelled_pc, sym, sizeof sym), line);
        break;
    case RV_ERROR:
        if (r->message[0] == '\0')
            snprintf(r->message, sizeof r->message, "emulation failed at PC 0x%lx (%s)",
                     (unsigned long)b->last_pc, emu_symbolize(syms, b->last_pc, sym, sizeof sym));
        break;
    }
}

void rv_run(struct emu_machine *m, const struct emu_image *img, struct rv_run *r)
{
    struct sched s = { m, img, r, r->boot_hart, SLICE, 0 };
    r->outcome = RV_ERROR;
    for (unsigned i = 0; i < r->nharts; i++)
        r->harts[i].id = i;
    r->harts[r->boot_hart].state = RV_HART_RUNNING;

    uc_hook code, write, intr;
    uc_hook_add(m->uc, &code, UC_HOOK_CODE, on_code, &s, 1, 0);
    uc_hook_add(m->uc, &write, UC_HOOK_MEM_WRITE, on_write, &s, 1, 0);
    uc_hook_add(m->uc, &intr, UC_HOOK_INTR, on_interrupt, &s, 1, 0);

    int onto = -1;   /* the hart whose context is on the CPU, -1 right after a switch */
    onto = (int)r->boot_hart;
    for (;;) {
        struct rv_hart *h = &r->harts[s.cur];
        s.slice_left = SLICE;
        uc_err e = uc_emu_start(m->uc, rv_reg(m, UC_RISCV_REG_PC), UINT64_MAX, 0, 0);
        if (m->unmodelled) {
            r->outcome = RV_UNMODELLED_ACCESS;
            break;
        }
        if (e != UC_ERR_OK && h->state == RV_HART_RUNNING) {
            snprintf(r->message, sizeof r->message, "emulation failed on hart %u at PC 0x%lx: %s", h->id,
                     (unsigned long)rv_reg(m, UC_RISCV_REG_PC), uc_strerror(e));
            r->outcome = RV_ERROR;
            break;
        }
        if (h->state == RV_HART_ENTERED)
            read_entry(m, &h->at_entry);
        if (s.stop_all)
            break;
        if (h->state == RV_HART_TRAPPED && s.cur == r->boot_hart) {
            r->outcome = RV_TRAP;
            break;
        }
        int next = next_runnable(r, s.cur);
        if (next < 0)
            break;
        if ((unsigned)next == s.cur && !h->fresh)
            continue;
        if (save(m, h) != 0) {
            snprintf(r->message, sizeof r->message, "cannot save hart %u's context", h->id);
            break;
        }
        s.cur = (unsigned)next;
        struct rv_hart *n = &r->harts[s.cur];
        if (n->fresh)
            fresh_hart(m, n);
        else
            uc_context_restore(m->uc, n->ctx);
        rv_tlb_flush(m);
        onto = (int)s.cur;
    }
    (void)onto;
    if (r->outcome == RV_ERROR && r->message[0] == '\0') {
        const struct rv_hart *b = &r->harts[r->boot_hart];
        int trapped = 0;
        for (unsigned i = 0; i < r->nharts; i++)
            trapped |= r->harts[i].state == RV_HART_TRAPPED;
        if (b->state == RV_HART_ENTERED)
            r->outcome = RV_REACHED_KERNEL;
        else if (b->state == RV_HART_TRAPPED || trapped)
            r->outcome = RV_TRAP;
        else if (b->state == RV_HART_HALTED)
            snprintf(r->message, sizeof r->message, "the boot hart stopped itself (SBI HSM hart_stop)");
    }
    describe(&s);
}

void rv_run_free(struct rv_run *r)
{
    for (unsigned i = 0; i < RV_MAX_HARTS; i++)
        if (r->harts[i].ctx != NULL)
            uc_context_free(r->harts[i].ctx);
    free(r->stores);
    r->stores = NULL;
}

const char *rv_outcome_name(enum rv_outcome o)
{
    switch (o) {
    case RV_REACHED_KERNEL: return "reached_kernel";
    case RV_SHUTDOWN: return "stopped_machine";
    case RV_BUDGET: return "budget_exhausted";
    case RV_TRAP: return "exception";
    case RV_SBI_UNMODELLED: return "sbi_unmodelled";
    case RV_UNMODELLED_ACCESS: return "unmodelled_access";
    case RV_ERROR: return "error";
    }
    return "?";
}

const char *rv_hart_state_name(enum rv_hart_state st)
{
    switch (st) {
    case RV_HART_STOPPED: return "never started";
    case RV_HART_RUNNING: return "running (did not reach the kernel)";
    case RV_HART_ENTERED: return "entered the kernel";
    case RV_HART_TRAPPED: return "trapped";
    case RV_HART_HALTED: return "stopped";
    }
    return "?";
}
