/* Check 1, ELF loading: every PT_LOAD of the kernel (at its paddr) and of the
 * root task (at vaddr + pv_offset) is byte-identical to the file, and its
 * [filesz, memsz) tail is zero. The one exception is the opt-in hand-off
 * record, which the loader writes over the kernel's variable on purpose; its
 * bytes are check handoff_record's. */
#include "checks.h"

static int verify_segments(const struct emu_ctx *x, struct emu_check *c, const char *what,
                           const struct elf_image *elf, int by_vaddr, uint64_t delta)
{
    int bad = 0;
    for (unsigned i = 0; i < elf->nload; i++) {
        struct elf_segment s;
        elf_segment_get(elf, i, &s);
        uint64_t pa = (by_vaddr ? s.vaddr : s.paddr) + delta;
        const uint8_t *mem = emu_ram_at(x->m, pa, s.memsz);
        if (mem == NULL) {
            sb_printf(&c->message, "%s segment %u: paddr [0x%lx..0x%lx) is outside RAM\n", what, i,
                      (unsigned long)pa, (unsigned long)(pa + s.memsz));
            bad = 1;
            continue;
        }
        const uint8_t *file = elf->data + s.offset;
        uint64_t ndiff = 0, first = 0, nz = 0, firstnz = 0;
        for (uint64_t k = 0; k < s.filesz; k++)
            if (mem[k] != file[k] && !emu_expected_in_record(x->exp, pa + k) && ndiff++ == 0)
                first = k;
        for (uint64_t k = s.filesz; k < s.memsz; k++)
            if (mem[k] != 0 && !emu_expected_in_record(x->exp, pa + k) && nz++ == 0)
                firstnz = k;
        if (ndiff) {
            sb_printf(&c->message,
                      "%s segment %u (paddr 0x%lx, filesz 0x%lx): %lu of 0x%lx file bytes differ;"
                      " first at paddr 0x%lx (vaddr 0x%lx): memory 0x%02x, ELF 0x%02x\n",
                      what, i, (unsigned long)pa, (unsigned long)s.filesz, (unsigned long)ndiff,
                      (unsigned long)s.filesz, (unsigned long)(pa + first),
                      (unsigned long)(s.vaddr + first), mem[first], file[first]);
            bad = 1;
        }
        if (nz) {
            sb_printf(&c->message,
                      "%s segment %u: [filesz, memsz) = paddr [0x%lx..0x%lx) must be zero (.bss);"
                      " %lu bytes are not, first at paddr 0x%lx (vaddr 0x%lx): 0x%02x\n",
                      what, i, (unsigned long)(pa + s.filesz), (unsigned long)(pa + s.memsz),
                      (unsigned long)nz, (unsigned long)(pa + firstnz),
                      (unsigned long)(s.vaddr + firstnz), mem[firstnz]);
            bad = 1;
        }
    }
    return bad;
}

void check_elf_loading(const struct emu_ctx *x, struct emu_check *c)
{
    const struct boot_plan *p = &x->exp->plan;
    int bad = verify_segments(x, c, "kernel", &x->img->kernel.elf, 0, 0);
    bad |= verify_segments(x, c, "roottask", &x->img->roottask.elf, 1, p->user_pv_offset);
    if (bad) {
        c->status = EMU_CHECK_FAIL;
        return;
    }
    sb_printf(&c->message,
              "kernel (%u segments) at paddr [0x%lx..0x%lx) and root task (%u segments) at"
              " [0x%lx..0x%lx) are byte-identical to their ELF files, .bss zero",
              x->img->kernel.elf.nload, (unsigned long)p->kernel_phys.start,
              (unsigned long)p->kernel_phys.end, x->img->roottask.elf.nload,
              (unsigned long)p->user_phys.start, (unsigned long)p->user_phys.end);
    if (x->exp->has_record)
        sb_printf(&c->message, " (but for the hand-off record at paddr 0x%lx)",
                  (unsigned long)x->exp->record_pa);
}
