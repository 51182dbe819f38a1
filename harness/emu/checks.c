#include "checks.h"

#include <string.h>

void emu_read_entry_state(struct emu_machine *m, struct emu_entry_state *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 6; i++)
        s->x[i] = emu_reg(m, UC_ARM64_REG_X0 + i);
    /* CurrentEL must not be read through CP_REG (it aborts Unicorn 2.0.1). */
    s->pstate = emu_reg(m, UC_ARM64_REG_PSTATE);
    s->el = (unsigned)(s->pstate >> 2) & 3;
    unsigned op1 = s->el == 2 ? 4 : 0;
    s->sctlr = emu_sysreg(m, 3, op1, 1, 0, 0);
    s->tcr = emu_sysreg(m, 3, op1, 2, 0, 2);
    s->mair = emu_sysreg(m, 3, op1, 10, 2, 0);
    s->ttbr0 = emu_sysreg(m, 3, op1, 2, 0, 0);
    s->ttbr1 = s->el == 2 ? 0 : emu_sysreg(m, 3, 0, 2, 0, 1);
    s->hcr = emu_sysreg(m, 3, 4, 1, 1, 0);
}

static const struct {
    const char *name;
    void (*run)(const struct emu_ctx *, struct emu_check *);
} all_checks[EMU_NCHECKS] = {
    { "elf_loading", check_elf_loading },
    { "handoff_registers", check_handoff_registers },
    { "cpu_state", check_cpu_state },
    { "writes", check_writes },
    { "rootserver", check_rootserver },
    { "page_tables", check_page_tables },
    { "handoff_record", check_handoff_record },
};

void emu_run_checks(const struct emu_ctx *x, struct emu_check checks[EMU_NCHECKS])
{
    for (int i = 0; i < EMU_NCHECKS; i++) {
        struct emu_check *c = &checks[i];
        memset(c, 0, sizeof *c);
        c->name = all_checks[i].name;
        if (x->run->outcome != EMU_REACHED_KERNEL) {
            c->status = EMU_CHECK_NOT_RUN;
            sb_printf(&c->message, "not run: %s", x->run->message);
        } else if (!x->exp->ok) {
            c->status = EMU_CHECK_NOT_RUN;
            sb_printf(&c->message, "not run: %s", x->exp->problem);
        } else {
            c->status = EMU_CHECK_PASS;
            all_checks[i].run(x, c);
        }
    }
}

void emu_checks_free(struct emu_check checks[EMU_NCHECKS])
{
    for (int i = 0; i < EMU_NCHECKS; i++)
        sb_free(&checks[i].message);
}
