/* What a correct loader must leave behind for this image, computed from the
 * input files before the run: the boot plan (loader/common/plan.c, the rules
 * the pack step also checks), the memory the loader may write, the kernel's
 * rootserver structure, the opt-in hand-off record, and the complete
 * translation map. Nothing here is
 * read back from the run. */
#ifndef EMU_EXPECTED_H
#define EMU_EXPECTED_H

#include <stdint.h>

#include "../../loader/common/plan.h"
#include "../../loader/common/ptwalk.h"
#include "image.h"
#include "qemu_dtb.h"

#define EMU_MAX_REGIONS 12
#define EMU_MAX_MAP     16

struct emu_region {
    const char *name;
    uint64_t start, end;     /* [start, end), physical */
};

struct emu_expected {
    int ok;                  /* 0: problem says why nothing can be expected */
    char problem[400];
    struct boot_plan plan;
    unsigned kernel_el;
    const char *dtb_source;  /* "payload kernel.dtb", "QEMU" or "none" */
    uint64_t loader_start, loader_end;
    struct emu_region allowed[EMU_MAX_REGIONS];
    unsigned nallowed;
    int has_rootserver;
    uint64_t rootserver_pa, rootserver_size;
    /* The opt-in hand-off record, when the payload asks for one: where it
     * must be and what every field must hold. */
    int has_record;
    uint64_t record_pa;
    struct handoff_record record;
    /* Translation map per table: [0] TTBR0_ELx, [1] TTBR1_EL1 (EL1 kernels). */
    struct ptwalk_range map[2][EMU_MAX_MAP];
    unsigned nmap[2];
};

void emu_expected_compute(const struct emu_image *img, const struct emu_machine *m,
                          const struct emu_qemu_dtb *qdtb, struct emu_expected *out);

/* The kernel's ELF byte at physical address pa (0 in .bss and gaps); -1 if
 * pa is outside the kernel image. */
int emu_expected_kernel_byte(const struct emu_image *img, const struct emu_expected *e,
                             uint64_t pa);

/* Whether pa is a byte of the expected hand-off record, which the loader
 * writes over the kernel's bytes on purpose (check handoff_record has it). */
static inline int emu_expected_in_record(const struct emu_expected *e, uint64_t pa)
{
    return e->has_record && pa >= e->record_pa && pa - e->record_pa < sizeof(struct handoff_record);
}

/* The Linux payload kind: where the loader may write (images, DTB, its own
 * memory, the source DTB packed in place, the UART) under its plan. */
struct linux_plan;
void emu_expected_linux_writes(struct emu_expected *e, const struct emu_image *img,
                               const struct emu_qemu_dtb *qdtb, const struct linux_plan *p);

#endif
