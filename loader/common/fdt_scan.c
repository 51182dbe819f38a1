#include "fdt_scan.h"

#include "fmt.h"

#define TOKEN_BEGIN_NODE 1u
#define TOKEN_END_NODE   2u
#define TOKEN_PROP       3u
#define TOKEN_NOP        4u
#define TOKEN_END        9u

/* Header field offsets (big-endian 32-bit words). */
#define HDR_TOTALSIZE       4
#define HDR_OFF_DT_STRUCT   8
#define HDR_OFF_DT_STRINGS  12
#define HDR_VERSION         20
#define HDR_SIZE_DT_STRINGS 32
#define HDR_SIZE_DT_STRUCT  36

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t align4(uint32_t v)
{
    return (v + 3) & ~3u;
}

/* Length of the NUL-terminated string at s[0..max), or max if unterminated. */
static uint32_t bounded_strlen(const uint8_t *s, uint32_t max)
{
    uint32_t n = 0;
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

static int name_is(const uint8_t *s, uint32_t len, const char *want)
{
    uint32_t i = 0;
    for (; i < len && want[i] != '\0'; i++)
        if (s[i] != (uint8_t)want[i])
            return 0;
    return i == len && want[i] == '\0';
}

/* "psci" or "psci@<unit>". */
static int node_is_psci(const uint8_t *name, uint32_t len)
{
    return len >= 4 && name[0] == 'p' && name[1] == 's' && name[2] == 'c' && name[3] == 'i' &&
           (len == 4 || name[4] == '@');
}

/* "cpus" exactly: the container of the CPU nodes. */
static int node_is_cpus(const uint8_t *name, uint32_t len)
{
    return len == 4 && name[0] == 'c' && name[1] == 'p' && name[2] == 'u' && name[3] == 's';
}

struct child {                 /* the root child (or /cpus child) being read */
    const char *name;
    int is_memory, is_psci, is_cpus, is_cpu;
    const uint8_t *reg;
    uint32_t reg_len;
};

int fdt_scan(const void *fdt, struct fdt_scan *out, char err[FDT_SCAN_ERR_LEN])
{
    const uint8_t *hdr = fdt;
    uint32_t total = be32(hdr + HDR_TOTALSIZE);
    uint32_t soff = be32(hdr + HDR_OFF_DT_STRUCT);
    uint32_t stroff = be32(hdr + HDR_OFF_DT_STRINGS);
    uint32_t ssize = be32(hdr + HDR_VERSION) >= 17 ? be32(hdr + HDR_SIZE_DT_STRUCT) : total - soff;
    uint32_t strsize = be32(hdr + HDR_SIZE_DT_STRINGS);
    if (soff > total || ssize > total - soff || stroff > total || strsize > total - stroff) {
        bc_snprintf(err, FDT_SCAN_ERR_LEN, "structure or strings block lies outside totalsize %u",
                    total);
        return -1;
    }
    const uint8_t *block = hdr + soff;
    const uint8_t *strings = hdr + stroff;

    out->address_cells = 2;
    out->size_cells = 1;
    out->nmemory = 0;
    out->psci_method = 0;
    out->psci_method_len = 0;
    out->has_psci = 0;
    out->cpus_address_cells = 1;
    out->ncpus = 0;

    struct child child = { 0 }, cpu = { 0 };
    unsigned depth = 0;
    int root_done = 0;
    uint32_t off = 0;
    for (;;) {
        if (ssize - off < 4) {
            bc_snprintf(err, FDT_SCAN_ERR_LEN,
                        "structure block ends at 0x%x without an FDT_END token", ssize);
            return -1;
        }
        uint32_t at = off;
        uint32_t token = be32(block + off);
        off += 4;
        switch (token) {
        case TOKEN_NOP:
            break;
        case TOKEN_BEGIN_NODE: {
            uint32_t len = bounded_strlen(block + off, ssize - off);
            if (len == ssize - off) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "node name at structure offset 0x%x runs past the block", off);
                return -1;
            }
            if (root_done || (depth == 0 && len != 0)) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "node at structure offset 0x%x is not inside the (unnamed) root", at);
                return -1;
            }
            depth++;
            if (depth == 2) {
                child = (struct child){ (const char *)block + off, 0, node_is_psci(block + off, len),
                                        node_is_cpus(block + off, len), 0, 0, 0 };
                out->has_psci |= child.is_psci;
            } else if (depth == 3 && child.is_cpus) {
                cpu = (struct child){ .name = (const char *)block + off };
            }
            off = align4(off + len + 1);
            break;
        }
        case TOKEN_END_NODE:
            if (depth == 0) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "FDT_END_NODE at structure offset 0x%x closes no node", at);
                return -1;
            }
            if (depth == 3 && child.is_cpus && cpu.is_cpu) {
                if (out->ncpus == FDT_SCAN_MAX_CPUS) {
                    bc_snprintf(err, FDT_SCAN_ERR_LEN, "more than %d cpu nodes in /cpus",
                                FDT_SCAN_MAX_CPUS);
                    return -1;
                }
                out->cpu[out->ncpus++] = (struct fdt_scan_cpu){ cpu.name, cpu.reg, cpu.reg_len };
            }
            if (depth == 2 && child.is_memory) {
                if (out->nmemory == FDT_SCAN_MAX_MEMORY) {
                    bc_snprintf(err, FDT_SCAN_ERR_LEN, "more than %d memory nodes",
                                FDT_SCAN_MAX_MEMORY);
                    return -1;
                }
                out->memory[out->nmemory++] =
                    (struct fdt_scan_memory){ child.name, child.reg, child.reg_len };
            }
            depth--;
            root_done = depth == 0;
            break;
        case TOKEN_PROP: {
            if (ssize - off < 8) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x runs past the block", at);
                return -1;
            }
            uint32_t len = be32(block + off);
            uint32_t nameoff = be32(block + off + 4);
            off += 8;
            if (len > ssize - off) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x: %u-byte value runs past the block",
                            at, len);
                return -1;
            }
            if (depth == 0) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x is outside every node", at);
                return -1;
            }
            uint32_t nlen = nameoff < strsize ? bounded_strlen(strings + nameoff, strsize - nameoff)
                                              : 0;
            if (nameoff >= strsize || nlen == strsize - nameoff) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x: name offset 0x%x is not a string"
                            " inside the %u-byte strings block", at, nameoff, strsize);
                return -1;
            }
            const uint8_t *name = strings + nameoff;
            const uint8_t *value = block + off;
            if (depth == 1 && len == 4 && name_is(name, nlen, "#address-cells"))
                out->address_cells = be32(value);
            else if (depth == 1 && len == 4 && name_is(name, nlen, "#size-cells"))
                out->size_cells = be32(value);
            else if (depth == 2 && name_is(name, nlen, "device_type"))
                child.is_memory = len == 7 && name_is(value, 6, "memory") && value[6] == '\0';
            else if (depth == 2 && name_is(name, nlen, "reg")) {
                child.reg = value;
                child.reg_len = len;
            } else if (depth == 2 && child.is_psci && name_is(name, nlen, "method")) {
                out->psci_method = (const char *)value;
                out->psci_method_len = len;
            } else if (depth == 2 && child.is_cpus && len == 4 && name_is(name, nlen, "#address-cells")) {
                out->cpus_address_cells = be32(value);
            } else if (depth == 3 && child.is_cpus && name_is(name, nlen, "device_type")) {
                cpu.is_cpu = len == 4 && name_is(value, 3, "cpu") && value[3] == '\0';
            } else if (depth == 3 && child.is_cpus && name_is(name, nlen, "reg")) {
                cpu.reg = value;
                cpu.reg_len = len;
            }
            off = align4(off + len);
            if (off > ssize)
                off = ssize;   /* padding of the last value may be cut; caught above */
            break;
        }
        case TOKEN_END:
            if (!root_done) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "FDT_END at structure offset 0x%x with %u node(s) still open", at,
                            depth);
                return -1;
            }
            return 0;
        default:
            bc_snprintf(err, FDT_SCAN_ERR_LEN,
                        "unknown token 0x%08x at structure offset 0x%x", token, at);
            return -1;
        }
    }
}
