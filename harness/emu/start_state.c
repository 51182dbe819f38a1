#include "start_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCTLR_M     UINT64_C(1)
#define PSTATE_DAIF UINT64_C(0x3c0)

static const char *const reg_names[START_NREGS] = {
    [START_X0] = "x0", [START_X1] = "x1", [START_X2] = "x2", [START_X3] = "x3",
    [START_SCTLR] = "sctlr", [START_TCR] = "tcr", [START_MAIR] = "mair", [START_TTBR0] = "ttbr0",
    [START_VBAR] = "vbar", [START_CPACR_EL1] = "cpacr_el1", [START_HCR_EL2] = "hcr_el2",
    [START_CPTR_EL2] = "cptr_el2", [START_DAIF] = "daif",
};

static int parse_line(char *line, unsigned lineno, const char *path, struct emu_start_state *s,
                      char *err, size_t errlen)
{
    char name[32], value[4096];
    if (sscanf(line, " %31s %4095s", name, value) != 2) {
        snprintf(err, errlen, "%s:%u: expected 'name value'", path, lineno);
        return -1;
    }
    if (strcmp(name, "dtb") == 0) {
        snprintf(s->dtb_path, sizeof s->dtb_path, "%s", value);
        return 0;
    }
    char *end;
    unsigned long long v = strtoull(value, &end, 0);
    if (*end != '\0') {
        snprintf(err, errlen, "%s:%u: '%s' is not a number", path, lineno, value);
        return -1;
    }
    if (strcmp(name, "el") == 0) {
        if (v != 1 && v != 2) {
            snprintf(err, errlen, "%s:%u: el %llu: only EL1 and EL2 starts are modelled", path, lineno, v);
            return -1;
        }
        s->el = (unsigned)v;
        return 0;
    }
    for (int i = 0; i < START_NREGS; i++) {
        if (strcmp(name, reg_names[i]) == 0) {
            s->value[i] = v;
            s->given[i] = 1;
            return 0;
        }
    }
    snprintf(err, errlen, "%s:%u: unknown register '%s'", path, lineno, name);
    return -1;
}

int emu_start_state_read(const char *path, struct emu_start_state *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open start state '%s'", path);
        return -1;
    }
    char line[4200];
    unsigned lineno = 0;
    int r = 0;
    while (r == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0' || line[0] == '#')
            continue;
        r = parse_line(line, lineno, path, s, err, errlen);
    }
    fclose(f);
    if (r == 0 && s->el == 0) {
        snprintf(err, errlen, "start state '%s' names no el", path);
        r = -1;
    }
    return r;
}

int emu_start_state_apply(struct emu_machine *m, const struct emu_start_state *s, char *err,
                          size_t errlen)
{
    if (s->given[START_SCTLR] && (s->value[START_SCTLR] & SCTLR_M)) {
        snprintf(err, errlen, "the start state has the MMU on (SCTLR_EL%u 0x%lx): the previous stage's"
                 " page tables are not in the emulated RAM", s->el, (unsigned long)s->value[START_SCTLR]);
        return -1;
    }
    for (int i = START_X0; i <= START_X3; i++)
        if (s->given[i])
            uc_reg_write(m->uc, UC_ARM64_REG_X0 + i, &s->value[i]);
    /* System registers of the starting EL (op1 4 for EL2, 0 for EL1). */
    unsigned op1 = s->el == 2 ? 4 : 0;
    struct { int reg; unsigned op1, crn, crm, op2; } sys[] = {
        { START_SCTLR, op1, 1, 0, 0 }, { START_TCR, op1, 2, 0, 2 }, { START_MAIR, op1, 10, 2, 0 },
        { START_TTBR0, op1, 2, 0, 0 }, { START_VBAR, op1, 12, 0, 0 }, { START_CPACR_EL1, 0, 1, 0, 2 },
        { START_HCR_EL2, 4, 1, 1, 0 }, { START_CPTR_EL2, 4, 1, 1, 2 },
    };
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++) {
        int r = sys[i].reg;
        if (!s->given[r] || (sys[i].op1 == 4 && s->el != 2))
            continue;
        if (emu_sysreg_write(m, 3, sys[i].op1, sys[i].crn, sys[i].crm, sys[i].op2, s->value[r]) != 0) {
            snprintf(err, errlen, "cannot write the start state's %s", reg_names[r]);
            return -1;
        }
    }
    if (s->given[START_DAIF]) {
        uint64_t pstate = (emu_reg(m, UC_ARM64_REG_PSTATE) & ~PSTATE_DAIF) | (s->value[START_DAIF] & PSTATE_DAIF);
        uc_reg_write(m->uc, UC_ARM64_REG_PSTATE, &pstate);
    }
    return 0;
}
