/* Check 7, handoff_record: the opt-in hand-off record protocol
 * (loader/common/handoff_record.h). If the payload has a "handoff.record"
 * member, the record in memory at kernel entry must hold, field by field, the
 * values expected from the ELF files and the DTB (expected.c). Without the
 * member the loader must write no boot record into the kernel: for seL4,
 * whose init_kernel fills `rootserver` itself, that is the rootserver
 * check's finding, reused here. */
#include "checks.h"

#include <stddef.h>

#define RECORD_FIELD(f) { #f, offsetof(struct handoff_record, f) }

static const struct {
    const char *name;
    size_t offset;
} fields[] = {
    RECORD_FIELD(magic),       RECORD_FIELD(version),   RECORD_FIELD(p_reg_start),
    RECORD_FIELD(p_reg_end),   RECORD_FIELD(v_reg_start), RECORD_FIELD(v_reg_end),
    RECORD_FIELD(v_entry),     RECORD_FIELD(extra_bi),  RECORD_FIELD(extra_bi_size),
    RECORD_FIELD(pv_offset),
};

_Static_assert(sizeof fields / sizeof fields[0] * 8 == sizeof(struct handoff_record),
               "every field of the record is compared");

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void check_handoff_record(const struct emu_ctx *x, struct emu_check *c)
{
    const struct emu_expected *e = x->exp;
    if (!e->has_record) {
        sb_printf(&c->message, "payload has no %s (protocol off), so the loader must write no"
                  " boot record: ", PAYLOAD_HANDOFF_RECORD);
        if (!rootserver_untouched(x, &c->message))
            c->status = EMU_CHECK_FAIL;
        return;
    }
    const uint8_t *mem = emu_ram_at(x->m, e->record_pa, sizeof(struct handoff_record));
    if (mem == NULL) {
        c->status = EMU_CHECK_FAIL;
        sb_printf(&c->message, "hand-off record at paddr 0x%lx is outside RAM",
                  (unsigned long)e->record_pa);
        return;
    }
    const uint8_t *want = (const uint8_t *)&e->record;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        uint64_t got = le64(mem + fields[i].offset), expected = le64(want + fields[i].offset);
        if (got != expected) {
            c->status = EMU_CHECK_FAIL;
            sb_printf(&c->message, "hand-off record field %s at paddr 0x%lx = 0x%lx, expected 0x%lx\n",
                      fields[i].name, (unsigned long)(e->record_pa + fields[i].offset),
                      (unsigned long)got, (unsigned long)expected);
        }
    }
    if (c->status == EMU_CHECK_PASS)
        sb_printf(&c->message,
                  "record at paddr 0x%lx as planned: magic 0x%lx version %lu p_reg [0x%lx..0x%lx)"
                  " v_reg [0x%lx..0x%lx) v_entry 0x%lx extra_bi 0x%lx (%lu bytes) pv_offset 0x%lx",
                  (unsigned long)e->record_pa, (unsigned long)e->record.magic,
                  (unsigned long)e->record.version, (unsigned long)e->record.p_reg_start,
                  (unsigned long)e->record.p_reg_end, (unsigned long)e->record.v_reg_start,
                  (unsigned long)e->record.v_reg_end, (unsigned long)e->record.v_entry,
                  (unsigned long)e->record.extra_bi, (unsigned long)e->record.extra_bi_size,
                  (unsigned long)e->record.pv_offset);
}
