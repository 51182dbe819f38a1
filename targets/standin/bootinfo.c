#include "bootinfo.h"

#include "config.h"
#include "cspace.h"
#include "freemem.h"
#include "kstring.h"
#include "uart.h"
#include "vspace.h"

#define MIN_UNTYPED_BITS 4
#define MAX_UNTYPED_BITS 47

static unsigned floor_log2(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

unsigned extra_bi_size_bits(uint64_t extra_bi_size)
{
    if (extra_bi_size == 0)
        return 0;
    unsigned bits = floor_log2(ROUND_UP(extra_bi_size, PAGE_BITS));
    if (extra_bi_size > BIT(bits))
        bits++;
    return bits;
}

void bootinfo_populate(boot_info_t *bi, uint64_t ipc_buffer_vptr, uint64_t extra_len)
{
    memset(bi, 0, sizeof *bi);
    bi->extraLen = extra_len;
    bi->nodeID = 0;
    bi->numNodes = MAX_NUM_NODES;
    bi->numIOPTLevels = 0;
    bi->ipcBuffer = ipc_buffer_vptr;
    bi->initThreadCNodeSizeBits = SEL4_ROOT_CNODE_SIZE_BITS;
    bi->initThreadDomain = 0;
}

void bootinfo_write_extra(uint64_t extra_bi_kptr, uint64_t dtb_paddr, uint32_t dtb_size,
                          uint64_t extra_len)
{
    uint8_t *area = (uint8_t *)(uintptr_t)extra_bi_kptr;
    uint64_t offset = 0;
    if (dtb_size > 0) {
        seL4_BootInfoHeader fdt = { SEL4_BOOTINFO_HEADER_FDT, sizeof fdt + dtb_size };
        memcpy(area, &fdt, sizeof fdt);
        offset += sizeof fdt;
        memcpy(area + offset, paddr_to_kptr(dtb_paddr), dtb_size);
        offset += dtb_size;
    }
    /* extraLen counts exactly the chunks written; with only the FDT chunk
     * there is nothing left to pad (seL4 behaves the same way). */
    if (extra_len > offset) {
        seL4_BootInfoHeader padding = { SEL4_BOOTINFO_HEADER_PADDING, extra_len - offset };
        memcpy(area + offset, &padding, sizeof padding);
    }
}

static int add_untyped(boot_info_t *bi, uint64_t paddr, unsigned size_bits, int is_device)
{
    unsigned index = (unsigned)(bi->untyped.end - bi->untyped.start);
    if (index >= SEL4_MAX_UNTYPED_CAPS) {
        kprintf("Kernel init: Too many untyped regions for boot info\n");
        return 1;   /* seL4 carries on without the rest */
    }
    struct cap untyped = cap_make(SEL4_CAP_TAG_UNTYPED, paddr, size_bits);
    untyped.flags = is_device ? CAP_DEVICE : 0;
    if (cspace_append(untyped) == 0)
        return 0;
    bi->untypedList[index] = (seL4_UntypedDesc){ .paddr = paddr, .sizeBits = (uint8_t)size_bits,
                                                 .isDevice = (uint8_t)is_device };
    bi->untyped.end++;
    return 1;
}

/* Cuts [start, end) into the largest naturally aligned power-of-two chunks;
 * pieces smaller than the minimum untyped size are dropped. */
static int add_untypeds_for_range(boot_info_t *bi, uint64_t start, uint64_t end, int is_device)
{
    while (start < end) {
        unsigned bits = start == 0 ? 63 : (unsigned)__builtin_ctzll(start);
        unsigned fit = floor_log2(end - start);
        if (fit < bits)
            bits = fit;
        if (bits > MAX_UNTYPED_BITS)
            bits = MAX_UNTYPED_BITS;
        if (bits >= MIN_UNTYPED_BITS && !add_untyped(bi, start, bits, is_device))
            return 0;
        start += BIT(bits);
    }
    return 1;
}

static int add_device_untypeds(boot_info_t *bi, uint64_t start, uint64_t end,
                               const struct region *reserved_phys, unsigned n)
{
    for (unsigned i = 0; i < n && start < end; i++) {
        struct region r = reserved_phys[i];
        if (r.end <= start || r.start >= end)
            continue;
        if (r.start > start && !add_untypeds_for_range(bi, start, r.start, 1))
            return 0;
        start = r.end;
    }
    return start < end ? add_untypeds_for_range(bi, start, end, 1) : 1;
}

int bootinfo_create_untypeds(boot_info_t *bi, const struct region *reserved_phys,
                             unsigned n_reserved)
{
    bi->untyped.start = bi->untyped.end = cspace_first_free();
    /* Device memory first, as seL4 lists it: below and above RAM. */
    if (!add_device_untypeds(bi, 0, RAM_START, reserved_phys, n_reserved) ||
        !add_device_untypeds(bi, RAM_END, PHYS_ADDR_TOP, reserved_phys, n_reserved))
        return 0;
    for (unsigned i = 0; i < freemem_count; i++)
        if (!region_is_empty(freemem[i]) &&
            !add_untypeds_for_range(bi, freemem[i].start, freemem[i].end, 0))
            return 0;
    return 1;
}
