#include "fdt_header.h"

#include "fmt.h"

#define FDT_MAGIC 0xd00dfeedu

/* Header fields: big-endian 32-bit words at these offsets. */
enum {
    H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_RSVMAP = 16,
    H_VERSION = 20, H_LAST_COMP = 24, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36,
};

static uint32_t field(const void *fdt, unsigned off)
{
    const uint8_t *p = (const uint8_t *)fdt + off;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t fdt_header_totalsize(const void *fdt)
{
    return field(fdt, H_TOTALSIZE);
}

/* [off, off + size) inside [FDT_HEADER_SIZE, total), without overflow. */
static int block_inside(uint32_t off, uint32_t size, uint32_t total)
{
    return off >= FDT_HEADER_SIZE && off <= total && size <= total - off;
}

int fdt_header_check(const void *fdt, uint64_t avail, const char *what, char err[FDT_HEADER_ERR_LEN])
{
    if (avail < FDT_HEADER_SIZE) {
        bc_snprintf(err, FDT_HEADER_ERR_LEN,
                    "%s is not a valid DTB: %lu bytes are too few for an FDT header (%u)", what,
                    (unsigned long)avail, FDT_HEADER_SIZE);
        return -1;
    }
    uint32_t magic = field(fdt, H_MAGIC), total = field(fdt, H_TOTALSIZE);
    uint32_t version = field(fdt, H_VERSION), last_comp = field(fdt, H_LAST_COMP);
    const char *bad = 0;
    char why[120];
    if (magic != FDT_MAGIC) {
        bc_snprintf(why, sizeof why, "magic 0x%08x (want 0xd00dfeed)", magic);
        bad = why;
    } else if (version < 16 || last_comp > 17) {
        /* Before 16 node names are full paths; after 17 the layout may differ. */
        bc_snprintf(why, sizeof why, "version %u (last compatible %u) is not 16 or 17", version,
                    last_comp);
        bad = why;
    } else if (total < FDT_HEADER_SIZE || total > avail) {
        bc_snprintf(why, sizeof why, "totalsize %u is not within [%u..%lu], the bytes available",
                    total, FDT_HEADER_SIZE, (unsigned long)avail);
        bad = why;
    } else if (field(fdt, H_OFF_RSVMAP) % 8 != 0 || !block_inside(field(fdt, H_OFF_RSVMAP), 16, total)) {
        bc_snprintf(why, sizeof why, "memory reservation map offset 0x%x is misaligned or outside"
                    " totalsize %u", field(fdt, H_OFF_RSVMAP), total);
        bad = why;
    } else if (field(fdt, H_OFF_STRUCT) % 4 != 0 ||
               !block_inside(field(fdt, H_OFF_STRUCT), version >= 17 ? field(fdt, H_SIZE_STRUCT) : 0,
                             total)) {
        bc_snprintf(why, sizeof why, "structure block [0x%x..+0x%x) is misaligned or outside"
                    " totalsize %u", field(fdt, H_OFF_STRUCT), field(fdt, H_SIZE_STRUCT), total);
        bad = why;
    } else if (!block_inside(field(fdt, H_OFF_STRINGS), field(fdt, H_SIZE_STRINGS), total)) {
        bc_snprintf(why, sizeof why, "strings block [0x%x..+0x%x) lies outside totalsize %u",
                    field(fdt, H_OFF_STRINGS), field(fdt, H_SIZE_STRINGS), total);
        bad = why;
    }
    if (bad) {
        bc_snprintf(err, FDT_HEADER_ERR_LEN, "%s is not a valid DTB: %s", what, bad);
        return -1;
    }
    return 0;
}
