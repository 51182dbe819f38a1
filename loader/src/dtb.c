#include "dtb.h"

#include <libfdt.h>

#include "../../targets/machines/qemu_virt.h"
#include "enter.h"
#include "power.h"
#include "uart.h"

static void check_blob(void *fdt, uint64_t avail, const char *what)
{
    int err = fdt_check_header(fdt);
    if (err != 0)
        loader_fail("%s is not a valid DTB: fdt_check_header: %s (libfdt error %d)", what,
                    fdt_strerror(err), err);
    if (fdt_totalsize(fdt) > avail)
        loader_fail("%s is not a valid DTB: totalsize %u exceeds the %lu bytes available", what,
                    fdt_totalsize(fdt), (unsigned long)avail);
    err = fdt_check_full(fdt, fdt_totalsize(fdt));
    if (err != 0)
        loader_fail("%s is not a valid DTB: fdt_check_full: %s (libfdt error %d)", what,
                    fdt_strerror(err), err);
}

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

static void read_memory(const void *fdt, struct dtb_info *out)
{
    int ac = fdt_address_cells(fdt, 0);
    int sc = fdt_size_cells(fdt, 0);
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
        loader_fail("DTB (%s): unsupported #address-cells %d / #size-cells %d at the root",
                    out->source, ac, sc);
    out->nram = 0;
    for (int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
         node >= 0; node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "memory", 7)) {
        int len;
        const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
        if (reg == NULL || len <= 0 || len % (4 * (ac + sc)) != 0)
            loader_fail("DTB (%s): memory node %s has a malformed reg property", out->source,
                        fdt_get_name(fdt, node, NULL));
        for (int i = 0; i < len / (4 * (ac + sc)); i++) {
            const fdt32_t *cell = reg + i * (ac + sc);
            uint64_t base = read_cells(cell, ac);
            uint64_t size = read_cells(cell + ac, sc);
            if (size == 0)
                continue;
            if (out->nram == PLAN_MAX_RAM)
                loader_fail("DTB (%s): more than %d RAM ranges", out->source, PLAN_MAX_RAM);
            out->ram[out->nram].start = base;
            out->ram[out->nram].end = base + size;
            out->nram++;
        }
    }
    if (out->nram == 0)
        loader_fail("DTB (%s) has no /memory node with a non-empty reg", out->source);
}

static void read_psci(const void *fdt)
{
    int node = fdt_path_offset(fdt, "/psci");
    if (node < 0)
        return;
    const char *method = fdt_getprop(fdt, node, "method", NULL);
    if (method == NULL)
        return;
    if (method[0] == 'h' && method[1] == 'v' && method[2] == 'c')
        power_set_conduit(PSCI_CONDUIT_HVC);
    else if (method[0] == 's' && method[1] == 'm' && method[2] == 'c')
        power_set_conduit(PSCI_CONDUIT_SMC);
}

extern uint8_t __dtb_scratch_start[], __dtb_scratch_end[];

void dtb_select(void *payload_dtb, uint64_t payload_dtb_size, struct dtb_info *out)
{
    if (payload_dtb != NULL) {
        out->source = "payload kernel.dtb";
        uint64_t room = (uint64_t)(__dtb_scratch_end - __dtb_scratch_start);
        if (payload_dtb_size > room)
            loader_fail("%s is %lu bytes; the loader takes DTBs up to %lu bytes", out->source,
                        (unsigned long)payload_dtb_size, (unsigned long)room);
        load_copy(__dtb_scratch_start, payload_dtb, payload_dtb_size);
        check_blob(__dtb_scratch_start, payload_dtb_size, out->source);
        out->fdt = __dtb_scratch_start;
    } else {
        void *qemu_dtb = (void *)(uintptr_t)VIRT_QEMU_DTB_ADDR;
        if (fdt_magic(qemu_dtb) != FDT_MAGIC)
            loader_fail("no DTB: the payload has no " "kernel.dtb and there is no FDT magic at 0x%x"
                        " (QEMU writes its DTB there for an ELF -kernel)", VIRT_QEMU_DTB_ADDR);
        out->source = "QEMU";
        /* QEMU's blob is followed by free RAM; bound it by the loader. */
        check_blob(qemu_dtb, LOADER_LINK_ADDR - VIRT_QEMU_DTB_ADDR, out->source);
        out->fdt = qemu_dtb;
    }
    read_psci(out->fdt);
    read_memory(out->fdt, out);
    /* Hand over only the bytes in use: QEMU's blob has ~1 MiB of slack. */
    if (fdt_pack(out->fdt) != 0)
        uart_printf("loader: DTB (%s) could not be packed; handing it over as is\n", out->source);
    out->size = fdt_totalsize(out->fdt);
}
