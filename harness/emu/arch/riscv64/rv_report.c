#include "rv.h"

#include <string.h>

#include "../../json.h"

static const char *status_word(enum rv_status s)
{
    return s == RV_PASS ? "PASS" : s == RV_FAIL ? "FAIL" : "NOT RUN";
}

static const char *status_json(enum rv_status s)
{
    return s == RV_PASS ? "pass" : s == RV_FAIL ? "fail" : "not_run";
}

/* "base probe_extension", "legacy console_putchar", ... for the report. */
static void sbi_name(uint64_t ext, uint64_t fid, char *buf, size_t len)
{
    static const char *const base[] = { "get_spec_version", "get_impl_id", "get_impl_version",
                                        "probe_extension", "get_mvendorid", "get_marchid", "get_mimpid" };
    static const char *const hsm[] = { "hart_start", "hart_stop", "hart_get_status", "hart_suspend" };
    if (ext == 0x00) snprintf(buf, len, "legacy set_timer");
    else if (ext == 0x01) snprintf(buf, len, "legacy console_putchar");
    else if (ext == 0x02) snprintf(buf, len, "legacy console_getchar");
    else if (ext == 0x08) snprintf(buf, len, "legacy shutdown");
    else if (ext < 0x10) snprintf(buf, len, "legacy extension 0x%lx", (unsigned long)ext);
    else if (ext == 0x10 && fid < 7) snprintf(buf, len, "base %s", base[fid]);
    else if (ext == 0x48534d && fid < 4) snprintf(buf, len, "HSM %s", hsm[fid]);
    else if (ext == 0x53525354) snprintf(buf, len, "SRST system_reset");
    else if (ext == 0x54494d45 && fid == 0) snprintf(buf, len, "TIME set_timer");
    else snprintf(buf, len, "extension 0x%lx function %lu", (unsigned long)ext, (unsigned long)fid);
}

void rv_report_text(FILE *f, const struct rv_ctx *x, const struct rv_check *c)
{
    const struct rv_run *r = x->run;
    fprintf(f, "emu-check: riscv64, S-mode under an SBI model, %lu MiB RAM, %u hart%s; payload: %s\n",
            (unsigned long)(x->m->ram_size >> 20), r->nharts, r->nharts == 1 ? "" : "s",
            emu_payload_format_name(x->img->format));
    fprintf(f, "emu-check: %s\n", r->message);
    fprintf(f, "emu-check: instructions from the loader's entry to kernel entry: %lu\n",
            r->outcome == RV_REACHED_KERNEL ? (unsigned long)r->harts[r->boot_hart].instructions : 0ul);
    if (x->e != NULL) {
        fprintf(f, "emu-check: at the kernel entry:");
        for (int i = 0; i < 6; i++)
            fprintf(f, " a%d=0x%lx", i, (unsigned long)x->e->a[i]);
        fprintf(f, " satp=0x%lx sp=0x%lx\n", (unsigned long)x->e->satp, (unsigned long)x->e->sp);
    }
    fprintf(f, "emu-check: SBI calls:");
    for (unsigned i = 0; i < r->nsbi; i++) {
        char n[64];
        sbi_name(r->sbi[i].ext, r->sbi[i].fid, n, sizeof n);
        fprintf(f, "%s %s x%u", i ? "," : "", n, r->sbi[i].n);
    }
    fprintf(f, "%s\n", r->nsbi ? "" : " none");
    for (int i = 0; i < RV_NCHECKS; i++) {
        const char *msg = sb_str(&c[i].msg);
        int len = (int)strlen(msg);
        while (len > 0 && msg[len - 1] == '\n')
            len--;
        fprintf(f, "%-7s %-18s %.*s\n", status_word(c[i].status), c[i].name, len, msg);
    }
}

static void json_regs(FILE *f, const uint64_t *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        json_hex(f, v[i]);
        if (i + 1 < n)
            fputs(", ", f);
    }
    fputc(']', f);
}

/* "phases": instructions before the C entry, per phase, and the rest up to
 * the kernel's entry (null when either was not reached). */
static void json_phases(FILE *f, const struct rv_run *r)
{
    const struct rv_phases *p = &r->phases;
    const struct rv_hart *b = &r->harts[r->boot_hart];
    int complete = p->main_seen && r->outcome == RV_REACHED_KERNEL;
    uint64_t in_phases = 0;
    fputs(",\n  \"phases\": {\"list\": [", f);
    fprintf(f, "{\"name\": \"reset_to_c\", \"instructions\": ");
    if (p->main_seen)
        fprintf(f, "%lu}", (unsigned long)p->main_at);
    else
        fputs("null}", f);
    for (unsigned i = 0; i < p->nphases; i++) {
        in_phases += p->phase[i].instructions;
        fputs(",\n    {\"name\": ", f);
        json_cstr(f, p->phase[i].name);
        fprintf(f, ", \"instructions\": %lu, \"calls\": %u, \"symbols\": ",
                (unsigned long)p->phase[i].instructions, p->phase[i].calls);
        json_cstr(f, p->phase[i].symbols);
        fputc('}', f);
    }
    fputs(",\n    {\"name\": \"other\", \"instructions\": ", f);
    if (complete)
        fprintf(f, "%lu}", (unsigned long)(b->instructions - p->main_at - in_phases));
    else
        fputs("null}", f);
    fputs("],\n    \"open_at_end\": ", f);
    if (p->open >= 0)
        json_cstr(f, p->phase[p->open].name);
    else
        fputs("null", f);
    fputs(", \"missing_symbols\": ", f);
    json_cstr(f, p->missing);
    fputc('}', f);
}

int rv_report_json(const char *path, const char *image, const struct rv_ctx *x, const struct rv_check *c)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    const struct rv_run *r = x->run;
    fputs("{\n  \"arch\": \"riscv64\", \"image\": ", f);
    json_cstr(f, image);
    fputs(", \"payload\": ", f);
    json_cstr(f, emu_payload_format_name(x->img->format));
    fputs(",\n  \"outcome\": ", f);
    json_cstr(f, rv_outcome_name(r->outcome));
    fputs(", \"message\": ", f);
    json_cstr(f, r->message);
    fprintf(f, ",\n  \"instructions\": %lu, \"ram_mib\": %lu,\n  \"uart\": ",
            (unsigned long)r->harts[r->boot_hart].instructions, (unsigned long)(x->m->ram_size >> 20));
    json_string(f, x->m->uart ? x->m->uart : "", x->m->uart_len);
    fputs(",\n  \"checks\": [", f);
    for (int i = 0; i < RV_NCHECKS; i++) {
        fprintf(f, "%s\n    {\"name\": \"%s\", \"status\": \"%s\", \"message\": ", i ? "," : "", c[i].name,
                status_json(c[i].status));
        json_cstr(f, sb_str(&c[i].msg));
        fputc('}', f);
    }
    fputs("\n  ],\n  \"observations\": {\"a\": ", f);
    if (x->e) {
        json_regs(f, x->e->a, 8);
        fputs(", \"satp\": ", f);
        json_hex(f, x->e->satp);
        fputs(", \"sp\": ", f);
        json_hex(f, x->e->sp);
        fputs(", \"pc\": ", f);
        json_hex(f, x->e->pc);
    } else {
        fputs("null", f);
    }
    fputs(", \"dtb_in\": ", f);
    json_hex(f, x->dtb_in);
    rv_observations_json(f, x);
    fputs(",\n    \"harts\": [", f);
    for (unsigned i = 0; i < r->nharts; i++) {
        const struct rv_hart *h = &r->harts[i];
        fprintf(f, "%s{\"id\": %u, \"state\": ", i ? ", " : "", h->id);
        json_cstr(f, rv_hart_state_name(h->state));
        fprintf(f, ", \"instructions\": %lu, \"last_pc\": ", (unsigned long)h->instructions);
        json_hex(f, h->last_pc);
        if (h->state == RV_HART_ENTERED) {
            fputs(", \"a\": ", f);
            json_regs(f, h->at_entry.a, 8);
            fputs(", \"satp\": ", f);
            json_hex(f, h->at_entry.satp);
        }
        fputc('}', f);
    }
    fputs("],\n    \"sbi\": [", f);
    for (unsigned i = 0; i < r->nsbi; i++) {
        char n[64];
        sbi_name(r->sbi[i].ext, r->sbi[i].fid, n, sizeof n);
        fprintf(f, "%s{\"call\": ", i ? ", " : "");
        json_cstr(f, n);
        fprintf(f, ", \"count\": %u}", r->sbi[i].n);
    }
    fputs("]}", f);
    if (r->phases.active)
        json_phases(f, r);
    fputs("\n}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}
