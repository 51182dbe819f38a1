#include "bootinfo.h"

#include "config.h"
#include "cspace.h"
#include "freemem.h"
#include "kstring.h"
#include "uart.h"
#include "vspace.h"

#define MIN_UNTYPED_BITS 4

/* Loops, not __builtin_clzll/ctzll: on riscv64 without Zbb those are
 * libgcc calls. */
static unsigned floor_log2(uint64_t v)
{
    unsigned bits = 0;
    while (v >>= 1)
        bits++;
    return bits;
}

static unsigned trailing_zeros(uint64_t v)
{
    unsigned bits = 0;
    while ((v & 1) == 0) {
        v >>= 1;
        bits++;
    }
    return bits;
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
        unsigned bits = start == 0 ? 63 : trailing_zeros(start);
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
