#include "linux_image.h"

#include "fmt.h"

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int linux_header_read(const uint8_t *image, uint64_t size, struct linux_header *h,
                      char err[LINUX_ERR_LEN])
{
    if (size < LINUX_HEADER_SIZE || le32(image + 0x38) != LINUX_IMAGE_MAGIC) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux Image: no magic ARM\\x64 at offset 0x38 (%lu bytes)",
                    (unsigned long)size);
        return -1;
    }
    h->text_offset = le64(image + 0x08);
    h->image_size = le64(image + 0x10);
    h->flags = le64(image + 0x18);
    if (h->image_size == 0) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux Image: image_size 0 (a kernel before 3.17); its"
                    " memory footprint is unknown");
        return -1;
    }
    if (h->flags & LINUX_FLAG_BE) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux Image: a big-endian kernel (flags 0x%lx); the loader"
                    " runs little-endian", (unsigned long)h->flags);
        return -1;
    }
    if (h->text_offset % 4096 != 0 || h->text_offset >= LINUX_IMAGE_ALIGN ||
        size > h->image_size) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux Image: text_offset 0x%lx or image_size 0x%lx"
                    " inconsistent with a %lu-byte file", (unsigned long)h->text_offset,
                    (unsigned long)h->image_size, (unsigned long)size);
        return -1;
    }
    return 0;
}

static int in_ram(const struct mem_range *ram, unsigned nram, struct mem_range r)
{
    for (unsigned i = 0; i < nram; i++)
        if (ram[i].start <= r.start && r.end <= ram[i].end)
            return 1;
    return 0;
}

static int place(const char *what, struct mem_range r, const struct mem_range *ram, unsigned nram,
                 struct mem_range loader, char err[LINUX_ERR_LEN])
{
    if (!in_ram(ram, nram, r)) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux %s [0x%lx..0x%lx) does not fit in RAM", what,
                    (unsigned long)r.start, (unsigned long)r.end);
        return -1;
    }
    if (r.start < loader.end && loader.start < r.end) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux %s [0x%lx..0x%lx) overlaps the loader [0x%lx..0x%lx)",
                    what, (unsigned long)r.start, (unsigned long)r.end, (unsigned long)loader.start,
                    (unsigned long)loader.end);
        return -1;
    }
    return 0;
}

int linux_plan_boot(const struct linux_header *h, uint64_t dtb_size, uint64_t initrd_size,
                    const struct mem_range *ram, unsigned nram, struct mem_range loader,
                    struct linux_plan *p, char err[LINUX_ERR_LEN])
{
    if (nram == 0) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux: the DTB describes no RAM");
        return -1;
    }
    if (dtb_size == 0 || dtb_size > LINUX_DTB_MAX) {
        bc_snprintf(err, LINUX_ERR_LEN, "Linux: a DTB of %lu bytes; the contract wants one of at most"
                    " 2 MiB", (unsigned long)dtb_size);
        return -1;
    }
    p->base = PLAN_ROUND_UP(ram[0].start, LINUX_IMAGE_ALIGN);
    p->entry = p->base + h->text_offset;
    p->image = (struct mem_range){ p->base, p->entry + h->image_size };
    uint64_t dtb = PLAN_ROUND_UP(p->image.end, LINUX_IMAGE_ALIGN);
    p->dtb = (struct mem_range){ dtb, dtb + dtb_size };
    uint64_t initrd = dtb + LINUX_DTB_MAX;
    p->initrd = (struct mem_range){ initrd, initrd + initrd_size };
    if (place("image", p->image, ram, nram, loader, err) != 0 ||
        place("DTB", p->dtb, ram, nram, loader, err) != 0 ||
        (initrd_size > 0 && place("initrd", p->initrd, ram, nram, loader, err) != 0))
        return -1;
    return 0;
}
