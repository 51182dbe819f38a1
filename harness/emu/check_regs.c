/* Check 2, hand-off registers: x0..x5 at the kernel entry equal the values
 * seL4's init_kernel expects, as planned from the ELF files and the DTB. */
#include "checks.h"

static const char *const meaning[6] = {
    "root task phys start", "root task phys end (exclusive)", "pv_offset (phys - virt)",
    "root task entry", "DTB phys address", "DTB size",
};

void check_handoff_registers(const struct emu_ctx *x, struct emu_check *c)
{
    const uint64_t *want = x->exp->plan.handoff;
    const uint64_t *got = x->entry.x;
    for (int i = 0; i < 6; i++) {
        /* seL4 reads only the low 32 bits of x5 (uint32_t dtb_size). */
        uint64_t g = i == 5 ? (got[i] & 0xffffffffu) : got[i];
        if (g != want[i]) {
            c->status = EMU_CHECK_FAIL;
            sb_printf(&c->message, "x%d (%s) = 0x%lx at kernel entry 0x%lx, expected 0x%lx\n", i,
                      meaning[i], (unsigned long)got[i], (unsigned long)x->run->kernel_entry,
                      (unsigned long)want[i]);
        }
    }
    if (c->status == EMU_CHECK_PASS)
        sb_printf(&c->message, "x0..x5 = 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx as planned (DTB from %s)",
                  (unsigned long)got[0], (unsigned long)got[1], (unsigned long)got[2],
                  (unsigned long)got[3], (unsigned long)got[4], (unsigned long)got[5],
                  x->exp->dtb_source);
}
