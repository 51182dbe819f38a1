#include "qemu_dtb.h"
#include "host_file.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_memory_size(void *fdt, uint64_t base, uint64_t size, char *err, size_t errlen)
{
    int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
    int len;
    const fdt32_t *reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
    int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
    if (reg == NULL || ac != 2 || sc != 2 || len != 16) {
        snprintf(err, errlen, "QEMU DTB has no /memory node with a 2+2-cell reg to resize");
        return -1;
    }
    fdt32_t cells[4] = {
        cpu_to_fdt32((uint32_t)(base >> 32)), cpu_to_fdt32((uint32_t)base),
        cpu_to_fdt32((uint32_t)(size >> 32)), cpu_to_fdt32((uint32_t)size),
    };
    if (fdt_setprop_inplace(fdt, node, "reg", cells, sizeof cells) != 0) {
        snprintf(err, errlen, "cannot set the QEMU DTB's /memory reg");
        return -1;
    }
    return 0;
}

/* Whether the n bytes at blob start with a valid FDT header of a tree no
 * larger than them (an empty file included: the header is not read then). */
static int dtb_header_fits(const void *blob, uint64_t n)
{
    return n >= sizeof(struct fdt_header) && fdt_check_header(blob) == 0 && fdt_totalsize(blob) <= n;
}

/* Fills out's sizes from the blob (kept by out on success, freed on error). */
static int describe(const struct emu_machine *m, void *blob, uint64_t n, const char *path,
                    struct emu_qemu_dtb *out, char *err, size_t errlen)
{
    void *packed = NULL;
    out->size = fdt_totalsize(blob);
    out->used = fdt_off_dt_struct(blob) + fdt_size_dt_struct(blob);
    if (fdt_off_dt_strings(blob) + fdt_size_dt_strings(blob) > out->used)
        out->used = fdt_off_dt_strings(blob) + fdt_size_dt_strings(blob);
    if (out->size > n || out->addr < m->ram_base ||
        out->addr - m->ram_base + out->size > m->ram_size) {
        snprintf(err, errlen, "%s DTB '%s' (%lu bytes at 0x%lx) does not fit in RAM", out->source, path,
                 (unsigned long)out->size, (unsigned long)out->addr);
        goto out;
    }
    /* What a loader hands over after packing the blob in place. */
    packed = malloc(out->size);
    if (packed == NULL || (memcpy(packed, blob, out->size), fdt_pack(packed)) != 0) {
        snprintf(err, errlen, "fdt_pack failed on '%s'", path);
        goto out;
    }
    out->packed_size = fdt_totalsize(packed);
    free(packed);
    out->blob = blob;
    return 0;
out:
    free(packed);
    free(blob);
    return -1;
}

int emu_qemu_dtb_prepare(const struct emu_machine *m, const char *path, uint64_t image_lowest_paddr,
                         struct emu_qemu_dtb *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->source = "QEMU";
    uint64_t n;
    void *blob = host_file_read(path, "QEMU DTB ", &n, err, errlen);
    if (blob == NULL) {
        snprintf(err + strlen(err), errlen - strlen(err), " (run make all)");
        return -1;
    }
    if (!dtb_header_fits(blob, n)) {
        snprintf(err, errlen, "'%s' is not a valid DTB", path);
        free(blob);
        return -1;
    }
    if (set_memory_size(blob, m->ram_base, m->ram_size, err, errlen) != 0) {
        free(blob);
        return -1;
    }
    out->addr = m->ram_base;
    out->placed = image_lowest_paddr >= m->ram_base + QEMU_DTB_MIN_IMAGE_OFFSET;
    return describe(m, blob, n, path, out, err, errlen);
}

int emu_x0_dtb_prepare(const struct emu_machine *m, const char *path, uint64_t addr,
                       struct emu_qemu_dtb *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->source = "x0 (previous stage)";
    uint64_t n;
    void *blob = host_file_read(path, "captured DTB ", &n, err, errlen);
    if (blob == NULL)
        return -1;
    if (!dtb_header_fits(blob, n)) {
        snprintf(err, errlen, "captured DTB '%s' is not a valid DTB", path);
        free(blob);
        return -1;
    }
    out->addr = addr;
    out->placed = 1;
    return describe(m, blob, n, path, out, err, errlen);
}

void emu_qemu_dtb_write(struct emu_machine *m, const struct emu_qemu_dtb *d)
{
    if (d->placed)
        memcpy(emu_ram_at(m, d->addr, d->size), d->blob, d->size);
}

void emu_qemu_dtb_free(struct emu_qemu_dtb *d)
{
    free(d->blob);
    d->blob = NULL;
}
