/* Where the boot hart's instructions go, phase by phase (emu-check
 * --phases): the riscv64 counterpart of harness/bootcheck/cost/loader_phases.py,
 * counted on the emulator's own instruction counter, so the phases add up
 * exactly to the instructions to the kernel's entry.
 *
 * A phase is a set of function symbols of the loader image. When the boot
 * hart reaches one of them while no phase is open, the phase opens and
 * remembers ra and sp; it closes when the hart comes back to that return
 * address with that stack pointer. A call nested in an open phase belongs to
 * it. Instructions before the C entry ("main") are reset_to_c; after it,
 * those in no phase are "other". */
#include "rv.h"

#include <stdlib.h>
#include <string.h>

static int add_phase(struct rv_phases *p, const char *name, size_t len)
{
    for (unsigned i = 0; i < p->nphases; i++)
        if (strlen(p->phase[i].name) == len && strncmp(p->phase[i].name, name, len) == 0)
            return (int)i;
    if (p->nphases == RV_MAX_PHASES || len >= sizeof p->phase[0].name)
        return -1;
    memcpy(p->phase[p->nphases].name, name, len);
    p->phase[p->nphases].name[len] = '\0';
    return (int)p->nphases++;
}

/* "main=SYM;PHASE=SYM,SYM,...;..." (phases in the order given). Symbols the
 * image lacks are skipped (listed in missing); an entry address already taken
 * by an earlier phase stays with it. */
int rv_phases_parse(struct rv_phases *p, const char *spec, const struct emu_symbols *syms, char *err,
                    size_t errlen)
{
    memset(p, 0, sizeof *p);
    const char *s = spec;
    while (*s) {
        const char *end = strchr(s, ';'), *eq = strchr(s, '=');
        if (end == NULL)
            end = s + strlen(s);
        if (eq == NULL || eq > end || eq == s) {
            snprintf(err, errlen, "--phases: '%.*s' is not NAME=SYMBOL[,SYMBOL...]", (int)(end - s), s);
            return -1;
        }
        int is_main = eq - s == 4 && strncmp(s, "main", 4) == 0;
        int ph = is_main ? -1 : add_phase(p, s, (size_t)(eq - s));
        if (!is_main && ph < 0) {
            snprintf(err, errlen, "--phases: more than %d phases, or a name longer than %zu characters",
                     RV_MAX_PHASES, sizeof p->phase[0].name - 1);
            return -1;
        }
        for (const char *sym = eq + 1; sym < end;) {
            const char *comma = memchr(sym, ',', (size_t)(end - sym));
            if (comma == NULL)
                comma = end;
            char name[96];
            size_t len = (size_t)(comma - sym);
            if (len == 0 || len >= sizeof name) {
                snprintf(err, errlen, "--phases: empty or overlong symbol name in '%.*s'", (int)(end - s), s);
                return -1;
            }
            memcpy(name, sym, len);
            name[len] = '\0';
            uint64_t addr;
            if (emu_symbol_value(syms, name, &addr, NULL) != 0 || addr == 0) {
                size_t used = strlen(p->missing);
                snprintf(p->missing + used, sizeof p->missing - used, "%s%s", used ? " " : "", name);
            } else if (is_main) {
                p->main = addr;
            } else {
                int taken = 0;
                for (unsigned i = 0; i < p->nentries; i++)
                    taken |= p->entry[i].addr == addr;
                if (!taken && p->nentries < RV_MAX_PHASE_ENTRIES) {
                    p->entry[p->nentries++] = (struct rv_phase_entry){ addr, (unsigned)ph };
                    size_t used = strlen(p->phase[ph].symbols);
                    snprintf(p->phase[ph].symbols + used, sizeof p->phase[ph].symbols - used, "%s%s",
                             used ? " " : "", name);
                }
            }
            sym = comma < end ? comma + 1 : end;
        }
        s = *end ? end + 1 : end;
    }
    if (p->main == 0) {
        snprintf(err, errlen, "--phases: the image has no C entry symbol (main=...)");
        return -1;
    }
    p->open = -1;
    p->active = 1;
    return 0;
}

/* Called for each boot-hart instruction about to run; `done` is the number
 * of instructions that hart has run before it. */
void rv_phases_step(struct rv_phases *p, struct emu_machine *m, uint64_t pc, uint64_t done)
{
    if (!p->main_seen) {
        if (pc == p->main) {
            p->main_seen = 1;
            p->main_at = done;
        }
        return;
    }
    if (p->open >= 0) {
        if (pc == p->ret && rv_reg(m, UC_RISCV_REG_SP) == p->sp) {
            p->phase[p->open].instructions += done - p->opened_at;
            p->phase[p->open].calls++;
            p->open = -1;
        }
        return;
    }
    for (unsigned i = 0; i < p->nentries; i++) {
        if (p->entry[i].addr == pc) {
            p->open = (int)p->entry[i].phase;
            p->opened_at = done;
            p->ret = rv_reg(m, UC_RISCV_REG_RA);
            p->sp = rv_reg(m, UC_RISCV_REG_SP);
            return;
        }
    }
}
