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

static uint64_t be32(const uint8_t *p)
{
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SCAN_WORDS 1   /* word-at-a-time reads below assume little-endian */
#else
#define SCAN_WORDS 0
#endif

/* A byte swap is one instruction where the target has one (AArch64's rev);
 * rv64imac has none (Zbb's rev8 is an extension), and there it takes ten:
 * then a big-endian word is read with byte loads, and a token without any
 * swap (token_at). */
#if defined(__riscv) && !defined(__riscv_zbb)
#define SWAP_IS_CHEAP 0
#else
#define SWAP_IS_CHEAP 1
#endif

/* A 32-bit load from a 4-byte aligned p: one instruction, where be32 takes
 * seven (the loader is built with -mstrict-align, so a plain memcpy of an
 * unknown pointer would be done byte by byte). */
static uint32_t load32_aligned(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, __builtin_assume_aligned(p, 4), 4);
    return v;
}

/* Written with shifts, not __builtin_bswap32: GCC turns this into one
 * instruction where the target has one (AArch64's rev), and keeps the shifts
 * inline where it has none (rv64imac), where the builtin would be a call to
 * libgcc's __bswapsi2. Values and offsets are 64-bit in
 * this pass: a 32-bit one would be zero-extended again at every use as an
 * index on a 64-bit target. */
static uint64_t swap32(uint64_t v)
{
    return (v >> 24 & 0xffu) | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | (v & 0xffu) << 24;
}

/* Every token, property length and name offset sits at a multiple of 4 in
 * the structure block; if the block itself is 4-byte aligned (it is for
 * every blob the loader meets) they are read as words. */
static inline __attribute__((always_inline)) uint64_t be32_at(const uint8_t *p, int aligned)
{
#if SCAN_WORDS && SWAP_IS_CHEAP
    if (aligned)
        return swap32(load32_aligned(p));
#else
    (void)aligned;
#endif
    return be32(p);
}

/* A token: be32_at's value. Where a swap is dear: every known token is below
 * 0x100, so its first three bytes are zero, and then the little-endian
 * word's top byte is the token (tokens are the most frequent read). */
static inline __attribute__((always_inline)) uint64_t token_at(const uint8_t *p, int aligned)
{
#if SCAN_WORDS && !SWAP_IS_CHEAP
    if (aligned) {
        uint64_t raw = load32_aligned(p);
        return (raw & 0x00ffffffu) == 0 ? raw >> 24 : swap32(raw);
    }
#endif
    return be32_at(p, aligned);
}

static uint64_t align4(uint64_t v)
{
    return (v + 3) & ~(uint64_t)3;
}

/* Length of the NUL-terminated string at s[0..max), or max if unterminated.
 * With aligned set, s is 4-byte aligned and four bytes are tested at a time
 * while four remain (a zero byte makes (v - 0x01..) & ~v & 0x80.. non-zero,
 * and its lowest set bit marks the first zero byte). */
static uint64_t bounded_strlen(const uint8_t *s, uint64_t max, int aligned)
{
    uint64_t n = 0;
#if SCAN_WORDS
    if (aligned) {
        for (; max - n >= 4; n += 4) {
            uint32_t v = load32_aligned(s + n);
            uint32_t zero = (v - 0x01010101u) & ~v & 0x80808080u;
            if (zero != 0)
                return n + ((unsigned)__builtin_ctz(zero) >> 3);
        }
    }
#else
    (void)aligned;
#endif
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

/* s[0..len) equals want (len bytes, no terminator compared). */
static int bytes_are(const uint8_t *s, uint64_t len, const char *want)
{
    uint64_t i = 0;
    for (; i < len && want[i] != '\0'; i++)
        if (s[i] != (uint8_t)want[i])
            return 0;
    return i == len && want[i] == '\0';
}

/* The NUL-terminated s equals want. Reads s only up to its terminator or the
 * first difference, so s must be known to be terminated. */
static int str_is(const uint8_t *s, const char *want)
{
    for (;; s++, want++) {
        if (*s != (uint8_t)*want)
            return 0;
        if (*want == '\0')
            return 1;
    }
}

/* "psci" or "psci@<unit>". */
static int node_is_psci(const uint8_t *name, uint64_t len)
{
    return len >= 4 && name[0] == 'p' && name[1] == 's' && name[2] == 'c' && name[3] == 'i' &&
           (len == 4 || name[4] == '@');
}

/* "cpus" exactly: the container of the CPU nodes. */
static int node_is_cpus(const uint8_t *name, uint64_t len)
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
    uint64_t total = be32(hdr + HDR_TOTALSIZE);
    uint64_t soff = be32(hdr + HDR_OFF_DT_STRUCT);
    uint64_t stroff = be32(hdr + HDR_OFF_DT_STRINGS);
    uint64_t ssize = be32(hdr + HDR_VERSION) >= 17 ? be32(hdr + HDR_SIZE_DT_STRUCT) : total - soff;
    uint64_t strsize = be32(hdr + HDR_SIZE_DT_STRINGS);
    if (soff > total || ssize > total - soff || stroff > total || strsize > total - stroff) {
        bc_snprintf(err, FDT_SCAN_ERR_LEN, "structure or strings block lies outside totalsize %u",
                    (unsigned)total);
        return -1;
    }
    const uint8_t *block = hdr + soff;
    const uint8_t *strings = hdr + stroff;
    const int aligned = ((uintptr_t)block & 3) == 0;
    /* A name offset is a string inside the strings block exactly when a NUL
     * follows it inside the block, i.e. when it lies before the block's last
     * NUL: found once here (normally the last byte) instead of a strlen per
     * property. */
    uint64_t names_end = strsize;
    while (names_end > 0 && strings[names_end - 1] != '\0')
        names_end--;

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
    uint64_t off = 0;
    /* The tokens in the order they are most frequent (a property each,
     * then the nodes' begin and end): an if chain, not a switch's table. */
    for (;;) {
        if (ssize - off < 4) {
            bc_snprintf(err, FDT_SCAN_ERR_LEN,
                        "structure block ends at 0x%x without an FDT_END token", (unsigned)ssize);
            return -1;
        }
        uint64_t at = off;
        uint64_t token = token_at(block + off, aligned);
        off += 4;
        if (token == TOKEN_PROP) {
            if (ssize - off < 8) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x runs past the block", (unsigned)at);
                return -1;
            }
            uint64_t len = be32_at(block + off, aligned);
            uint64_t nameoff = be32_at(block + off + 4, aligned);
            off += 8;
            if (len > ssize - off) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x: %u-byte value runs past the block",
                            (unsigned)at, (unsigned)len);
                return -1;
            }
            if (depth == 0) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x is outside every node", (unsigned)at);
                return -1;
            }
            if (nameoff >= names_end) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "property at structure offset 0x%x: name offset 0x%x is not a string"
                            " inside the %u-byte strings block", (unsigned)at, (unsigned)nameoff,
                            (unsigned)strsize);
                return -1;
            }
            const uint8_t *name = strings + nameoff;
            const uint8_t *value = block + off;
            /* Only a few names matter, each at one depth; their first
             * characters tell them apart before any string compare. */
            if (depth == 1) {
                if (len == 4 && name[0] == '#') {
                    if (str_is(name, "#address-cells"))
                        out->address_cells = be32(value);
                    else if (str_is(name, "#size-cells"))
                        out->size_cells = be32(value);
                }
            } else if (depth == 2) {
                if (name[0] == 'd' && str_is(name, "device_type"))
                    child.is_memory = len == 7 && bytes_are(value, 6, "memory") && value[6] == '\0';
                else if (name[0] == 'r' && str_is(name, "reg")) {
                    child.reg = value;
                    child.reg_len = len;
                } else if (child.is_psci && name[0] == 'm' && str_is(name, "method")) {
                    out->psci_method = (const char *)value;
                    out->psci_method_len = len;
                } else if (child.is_cpus && len == 4 && name[0] == '#' &&
                           str_is(name, "#address-cells")) {
                    out->cpus_address_cells = be32(value);
                }
            } else if (depth == 3 && child.is_cpus) {
                if (name[0] == 'd' && str_is(name, "device_type"))
                    cpu.is_cpu = len == 4 && bytes_are(value, 3, "cpu") && value[3] == '\0';
                else if (name[0] == 'r' && str_is(name, "reg")) {
                    cpu.reg = value;
                    cpu.reg_len = len;
                }
            }
            off = align4(off + len);
            if (off > ssize)
                off = ssize;   /* padding of the last value may be cut; caught above */
        } else if (token == TOKEN_BEGIN_NODE) {
            uint64_t len = bounded_strlen(block + off, ssize - off, aligned);
            if (len == ssize - off) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "node name at structure offset 0x%x runs past the block", (unsigned)off);
                return -1;
            }
            if (root_done || (depth == 0 && len != 0)) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "node at structure offset 0x%x is not inside the (unnamed) root", (unsigned)at);
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
        } else if (token == TOKEN_END_NODE) {
            if (depth == 0) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "FDT_END_NODE at structure offset 0x%x closes no node", (unsigned)at);
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
        } else if (token == TOKEN_NOP) {
            continue;
        } else if (token == TOKEN_END) {
            if (!root_done) {
                bc_snprintf(err, FDT_SCAN_ERR_LEN,
                            "FDT_END at structure offset 0x%x with %u node(s) still open", (unsigned)at,
                            depth);
                return -1;
            }
            return 0;
        } else {
            bc_snprintf(err, FDT_SCAN_ERR_LEN,
                        "unknown token 0x%08x at structure offset 0x%x", (unsigned)token,
                        (unsigned)at);
            return -1;
        }
    }
}
