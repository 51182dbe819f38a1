#include "dtb.h"

#include <libfdt.h>

#include "../../common/qemu_virt.h"
#include "../../common/dtb_parse.h"
#include "enter.h"
#include "power.h"
#include "uart.h"

/* The checks themselves live in loader/common/dtb_parse.c, shared with the
 * host tools and the fuzzer; here a failure stops the machine with their
 * sentence. One pass over the blob validates it and reads RAM and PSCI. */
static void parse(void *fdt, uint64_t avail, struct dtb_info *out)
{
    struct dtb_facts facts;
    char err[DTB_ERR_LEN];
    if (dtb_parse(fdt, avail, out->source, out->source, &facts, err) != 0)
        loader_fail("%s", err);
    if (facts.psci == DTB_PSCI_HVC)
        power_set_conduit(PSCI_CONDUIT_HVC);
    else if (facts.psci == DTB_PSCI_SMC)
        power_set_conduit(PSCI_CONDUIT_SMC);
    for (unsigned i = 0; i < facts.nram; i++)
        out->ram[i] = facts.ram[i];
    out->nram = facts.nram;
    out->has_psci = facts.has_psci;
    for (unsigned i = 0; i < facts.ncpus; i++)
        out->cpu[i] = facts.cpu[i];
    out->ncpus = facts.ncpus;
}

extern uint8_t __dtb_scratch_start[], __dtb_scratch_end[];

/* The Linux boot contract bounds a DTB passed in x0 to 2 MiB. */
#define DTB_X0_MAX_SIZE 0x200000u

/* x0 at entry points at a DTB: QEMU's -kernel passes 0; a firmware that
 * passes a DTB passes an 8-byte aligned address in RAM. Only such a value is
 * dereferenced (a misaligned read of Device memory, MMU off, would fault). */
static int previous_stage_dtb(uint64_t x0)
{
    return x0 >= VIRT_RAM_BASE && (x0 & 7) == 0 &&
           fdt_magic((const void *)(uintptr_t)x0) == FDT_MAGIC;
}

void dtb_select(void *payload_dtb, uint64_t payload_dtb_size, uint64_t boot_x0, struct dtb_info *out)
{
    if (payload_dtb != NULL) {
        out->source = "payload kernel.dtb";
        uint64_t room = (uint64_t)(__dtb_scratch_end - __dtb_scratch_start);
        if (payload_dtb_size > room)
            loader_fail("%s is %lu bytes; the loader takes DTBs up to %lu bytes", out->source,
                        (unsigned long)payload_dtb_size, (unsigned long)room);
        load_copy(__dtb_scratch_start, payload_dtb, payload_dtb_size);
        out->fdt = __dtb_scratch_start;
        parse(out->fdt, payload_dtb_size, out);
    } else if (previous_stage_dtb(boot_x0)) {
        /* Firmware that boots by the Linux contract (U-Boot's booti) passes
         * its DTB, with its own /chosen and /memory, in x0. */
        out->source = "x0 (previous stage)";
        out->fdt = (void *)(uintptr_t)boot_x0;
        if (fdt_totalsize(out->fdt) > DTB_X0_MAX_SIZE)
            loader_fail("the DTB at x0 = 0x%lx claims %u bytes; more than the %u a DTB passed in x0"
                        " may have", (unsigned long)boot_x0, fdt_totalsize(out->fdt), DTB_X0_MAX_SIZE);
        parse(out->fdt, fdt_totalsize(out->fdt), out);
    } else {
        void *qemu_dtb = (void *)(uintptr_t)VIRT_QEMU_DTB_ADDR;
        if (fdt_magic(qemu_dtb) != FDT_MAGIC)
            loader_fail("no DTB: the payload has no " "kernel.dtb and there is no FDT magic at 0x%x"
                        " (QEMU writes its DTB there for an ELF -kernel)", VIRT_QEMU_DTB_ADDR);
        out->source = "QEMU";
        /* QEMU's blob is followed by free RAM; bound it by the loader. */
        out->fdt = qemu_dtb;
        parse(out->fdt, LOADER_LINK_ADDR - VIRT_QEMU_DTB_ADDR, out);
    }
    /* Hand over only the bytes in use (QEMU's blob has ~1 MiB of slack):
     * exactly dtb_handover_size, the number the pack step and the checks
     * plan with. */
    uint32_t size = dtb_handover_size(out->fdt);
    if (fdt_pack(out->fdt) != 0 || fdt_totalsize(out->fdt) != size)
        loader_fail("%s: fdt_pack left %u bytes, not the %u planned", out->source,
                    fdt_totalsize(out->fdt), size);
    out->size = size;
}
