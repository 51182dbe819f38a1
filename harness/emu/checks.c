#include "checks.h"

#include <string.h>

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
