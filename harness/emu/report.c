#include "report.h"

#include <string.h>

#include "json.h"
#include "observe.h"

static const char *status_name(enum emu_check_status s)
{
    return s == EMU_CHECK_PASS ? "pass" : s == EMU_CHECK_FAIL ? "fail" : "not_run";
}

void emu_report_text(FILE *f, const struct emu_report *r)
{
    fprintf(f, "emu-check: %s at EL%u, %lu MiB RAM; payload: %s\n", r->image, r->el,
            (unsigned long)r->ram_mib, emu_payload_format_name(r->ctx->img->format));
    fprintf(f, "emu-check: %s\n", r->run->message);
    if (r->started_from != NULL)
        fprintf(f, "emu-check: started from the captured state in %s, not from reset\n", r->started_from);
    fprintf(f, "emu-check: instructions from %s to kernel entry: %lu\n",
            r->started_from != NULL ? "that state" : "reset",
            r->run->outcome == EMU_REACHED_KERNEL ? (unsigned long)r->run->instructions : 0ul);
    for (int i = 0; i < EMU_NCHECKS; i++) {
        const struct emu_check *c = &r->checks[i];
        const char *msg = sb_str(&c->message);
        int len = (int)strlen(msg);
        while (len > 0 && msg[len - 1] == '\n')
            len--;
        fprintf(f, "%-7s %-18s %.*s\n", c->status == EMU_CHECK_PASS ? "PASS" :
                c->status == EMU_CHECK_FAIL ? "FAIL" : "NOT RUN", c->name, len, msg);
    }
}

/* The expected opt-in hand-off record, or null when the payload has none. */
static void json_record(FILE *f, const struct emu_expected *e)
{
    fputs(", \"handoff_record\": ", f);
    if (!e->has_record) {
        fputs("null", f);
        return;
    }
    const struct handoff_record *r = &e->record;
    const struct { const char *name; uint64_t value; } v[] = {
        { "paddr", e->record_pa }, { "magic", r->magic }, { "version", r->version },
        { "p_reg_start", r->p_reg_start }, { "p_reg_end", r->p_reg_end },
        { "v_reg_start", r->v_reg_start }, { "v_reg_end", r->v_reg_end },
        { "v_entry", r->v_entry }, { "extra_bi", r->extra_bi },
        { "extra_bi_size", r->extra_bi_size }, { "pv_offset", r->pv_offset },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        fprintf(f, "%s\"%s\": ", i == 0 ? "{" : ", ", v[i].name);
        json_hex(f, v[i].value);
    }
    fputs("}", f);
}

static void json_expected(FILE *f, const struct emu_expected *e)
{
    fprintf(f, "  \"expected\": {\"ok\": %s, \"problem\": ", e->ok ? "true" : "false");
    json_cstr(f, e->problem);
    if (e->ok) {
        fprintf(f, ", \"kernel_el\": %u, \"dtb_source\": ", e->kernel_el);
        json_cstr(f, e->dtb_source);
        fprintf(f, ", \"handoff\": [");
        for (int i = 0; i < 6; i++) {
            json_hex(f, e->plan.handoff[i]);
            fputs(i < 5 ? ", " : "]", f);
        }
        json_record(f, e);
    }
    fputs("},\n", f);
}

static void json_entry(FILE *f, const struct emu_entry_state *s)
{
    fputs("  \"entry_state\": ", f);
    if (s == NULL) {
        fputs("null,\n", f);
        return;
    }
    fputs("{\"x\": [", f);
    for (int i = 0; i < 6; i++) {
        json_hex(f, s->x[i]);
        fputs(i < 5 ? ", " : "]", f);
    }
    fprintf(f, ", \"el\": %u, \"pstate\": ", s->el);
    json_hex(f, s->pstate);
    fputs(", \"sctlr\": ", f); json_hex(f, s->sctlr);
    fputs(", \"tcr\": ", f); json_hex(f, s->tcr);
    fputs(", \"mair\": ", f); json_hex(f, s->mair);
    fputs(", \"ttbr0\": ", f); json_hex(f, s->ttbr0);
    fputs(", \"ttbr1\": ", f); json_hex(f, s->ttbr1);
    fputs("},\n", f);
}

int emu_report_json(const char *path, const struct emu_report *r)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs("{\n  \"image\": ", f);
    json_cstr(f, r->image);
    fprintf(f, ",\n  \"el\": %u,\n  \"ram_mib\": %lu,\n  \"budget\": %lu,\n  \"outcome\": \"%s\",\n"
            "  \"message\": ", r->el, (unsigned long)r->ram_mib, (unsigned long)r->budget,
            emu_outcome_name(r->run->outcome));
    json_cstr(f, r->run->message);
    fprintf(f, ",\n  \"instructions\": %lu,\n  \"last_pc\": ", (unsigned long)r->run->instructions);
    json_hex(f, r->run->last_pc);
    fputs(",\n  \"kernel_entry\": ", f);
    json_hex(f, r->run->kernel_entry);
    fprintf(f, ",\n  \"stores\": %lu,\n  \"uart\": ", (unsigned long)r->run->store_count);
    json_string(f, r->m->uart ? r->m->uart : "", r->m->uart_len);
    fputs(",\n", f);
    json_expected(f, r->exp);
    json_entry(f, r->entry);
    emu_observe_json(f, r->ctx);
    fputs(",\n  \"checks\": [\n", f);
    for (int i = 0; i < EMU_NCHECKS; i++) {
        const struct emu_check *c = &r->checks[i];
        fprintf(f, "    {\"name\": \"%s\", \"status\": \"%s\", \"message\": ", c->name,
                status_name(c->status));
        json_cstr(f, sb_str(&c->message));
        fputs(i < EMU_NCHECKS - 1 ? "},\n" : "}\n", f);
    }
    fputs("  ]\n}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}
