#include "run.h"

#include <stdio.h>
#include <stdlib.h>
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

struct run_state {
    struct emu_machine *m;
    const struct emu_image *img;
    struct emu_run *out;
    uint64_t budget;
    uint64_t kernel_entry, kernel_entry_pa;
};

/* While memory hooks are installed, Unicorn performs DC ZVA as single-byte
 * stores; runs of zero stores from one PC are merged into one record. */
static void record_store(struct emu_run *r, uint64_t addr, uint32_t size, uint64_t value, uint64_t pc)
{
    if (r->nstores > 0 && value == 0) {
        struct emu_store *last = &r->stores[r->nstores - 1];
        if (last->pc == pc && last->value == 0 && last->addr + last->size == addr &&
            last->size < UINT32_MAX - size) {
            last->size += size;
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
    r->stores[r->nstores++] = (struct emu_store){ addr, pc, value, size };
}

static void on_code(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
    (void)size;
    struct run_state *s = user;
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
    record_store(s->out, addr, (uint32_t)size, (uint64_t)value, pc);
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user)
{
    struct run_state *s = user;
    s->out->intno = intno;
    uint64_t x0 = emu_reg(s->m, UC_ARM64_REG_X0);
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

void emu_run(struct emu_machine *m, const struct emu_image *img, const struct emu_run_config *cfg,
             struct emu_run *out)
{
    memset(out, 0, sizeof *out);
    out->kernel_entry = cfg->kernel_entry;
    out->outcome = EMU_ERROR;
    struct run_state s = { m, img, out, cfg->budget, cfg->kernel_entry, cfg->kernel_entry_pa };

    uc_hook code, write, intr;
    uc_hook_add(m->uc, &code, UC_HOOK_CODE, on_code, &s, 1, 0);
    uc_hook_add(m->uc, &write, UC_HOOK_MEM_WRITE, on_write, &s, 1, 0);
    uc_hook_add(m->uc, &intr, UC_HOOK_INTR, on_interrupt, &s, 1, 0);

    uint64_t pc = emu_reg(m, UC_ARM64_REG_PC);
    /* Not uc_emu_start's `until`: with it, 2.0.1 takes a prefetch abort on
     * a branch to a high kernel VA that translates fine without it. */
    uc_err err = uc_emu_start(m->uc, pc, UINT64_MAX, 0, 0);
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
