#include "freemem.h"

#include "abi.h"
#include "config.h"
#include "kassert.h"
#include "kstring.h"
#include "release.h"
#include "uart.h"
#include "vspace.h"

/* Written only here; zero until init_kernel runs (BSS, zeroed by the loader). */
struct rootserver_mem rootserver;

struct region freemem[MAX_FREE_REGIONS];
unsigned freemem_count;

/* Compiled-in RAM, like seL4's avail_p_regs for qemu-arm-virt -m 1024. */
static const struct region available_ram[] = { { RAM_START, RAM_END } };
#define N_AVAILABLE (sizeof available_ram / sizeof available_ram[0])

static uint64_t tables_covering(struct region r, unsigned bits)
{
    return (ROUND_UP(r.end, bits) - ROUND_DOWN(r.start, bits)) >> bits;
}

uint64_t n_paging_structures(struct region it_v_reg)
{
    if (region_is_empty(it_v_reg))
        return 0;
    /* One table per span its level covers (AArch64: level 1 per 512 GiB,
     * level 2 per 1 GiB, level 3 per 2 MiB; RISC-V Sv39: 1 GiB, 2 MiB). */
    static const unsigned shifts[IT_PAGING_LEVELS] = IT_PAGING_TABLE_SHIFTS;
    uint64_t n = 0;
    for (unsigned i = 0; i < IT_PAGING_LEVELS; i++)
        n += tables_covering(it_v_reg, shifts[i]);
    return n;
}

static int print_and_check_available(void)
{
    /* The release's words: 16.0 capitalises the heading, 14.0 made the
     * ranges half-open. */
    kprintf(standin_release.available_heading, (unsigned long)N_AVAILABLE);
    for (unsigned i = 0; i < N_AVAILABLE; i++)
        kprintf(standin_release.region_line, (unsigned long)available_ram[i].start,
                (unsigned long)available_ram[i].end);
    return 1;
}

/* seL4 prints each region, then checks it: so a bad region is the last one
 * listed before the ERROR line. */
static int print_and_check_reserved(const struct region *reserved, unsigned n)
{
    kprintf(standin_release.reserved_heading, (unsigned long)n);
    for (unsigned i = 0; i < n; i++) {
        kprintf(standin_release.region_line, (unsigned long)reserved[i].start,
                (unsigned long)reserved[i].end);
        if (reserved[i].start > reserved[i].end) {
            kprintf("ERROR: reserved region %lu has start > end\n", (unsigned long)i);
            return 0;
        }
        if (i > 0 && reserved[i].start < reserved[i - 1].end) {
            kprintf("ERROR: reserved region %lu in wrong order\n", (unsigned long)i);
            return 0;
        }
    }
    return 1;
}

static void add_free(uint64_t start, uint64_t end)
{
    if (start >= end)
        return;
    if (freemem_count < MAX_FREE_REGIONS) {
        freemem[freemem_count++] = (struct region){ start, end };
        return;
    }
    /* seL4 says so (in kernel-window addresses) and goes on; the check
     * after the loop then refuses the boot. */
    kprintf("no free memory slot left for [%lx..%lx%c, consider increasing MAX_NUM_FREEMEM_REG (%u)\n",
            (unsigned long)(start + PPTR_BASE), (unsigned long)(end + PPTR_BASE), region_close(),
            (unsigned)MAX_FREE_REGIONS);
}

/* RAM minus the (ordered, disjoint) reserved regions, in physical terms. */
static void compute_free_ram(const struct region *reserved, unsigned n)
{
    freemem_count = 0;
    for (unsigned a = 0; a < N_AVAILABLE; a++) {
        uint64_t cursor = available_ram[a].start;
        for (unsigned i = 0; i < n; i++) {
            uint64_t rs = reserved[i].start - PPTR_BASE;
            uint64_t re = reserved[i].end - PPTR_BASE;
            if (re <= cursor || rs >= available_ram[a].end)
                continue;
            add_free(cursor, rs);
            if (re > cursor)
                cursor = re;
        }
        add_free(cursor, available_ram[a].end);
    }
}

static uint64_t rootserver_size(struct region it_v_reg, unsigned extra_bi_size_bits)
{
    uint64_t size = BIT(ROOT_CNODE_BITS) + BIT(VSPACE_BITS) + BIT(ASID_POOL_BITS) +
                    BIT(PAGE_BITS) /* IPC buffer */ + BIT(PAGE_BITS) /* BootInfo */ +
                    n_paging_structures(it_v_reg) * BIT(PAGE_TABLE_BITS) +
                    BIT(abi_object_bits(SEL4_OBJECT_TCB));
    if (CONFIG_KERNEL_MCS)
        size += BIT(MIN_SCHED_CONTEXT_BITS);
    if (extra_bi_size_bits > 0)
        size += BIT(extra_bi_size_bits);
    return size;
}

static unsigned rootserver_align_bits(unsigned extra_bi_size_bits)
{
    unsigned bits = ROOT_CNODE_BITS > VSPACE_BITS ? ROOT_CNODE_BITS : VSPACE_BITS;
    return extra_bi_size_bits > bits ? extra_bi_size_bits : bits;
}

static uint64_t rootserver_cursor;

static uint64_t alloc_rootserver_obj(unsigned size_bits, uint64_t count)
{
    /* Objects are carved largest first, so each lands naturally aligned. */
    uint64_t pptr = rootserver_cursor;
    rootserver_cursor += count << size_bits;
    memset((void *)(uintptr_t)pptr, 0, count << size_bits);
    return pptr;
}

static void maybe_alloc_extra_bi(unsigned cmp_size_bits, unsigned extra_bi_size_bits)
{
    if (extra_bi_size_bits >= cmp_size_bits && rootserver.extra_bi == 0)
        rootserver.extra_bi = alloc_rootserver_obj(extra_bi_size_bits, 1);
}

/* Same order as seL4 13.0.0 (facts §3.4), so the objects land at the same
 * addresses: CNode, extra BI if larger than a page table, VSpace, extra BI
 * otherwise, ASID pool, IPC buffer, BootInfo, paging structures, TCB, and
 * on MCS the root task's SchedContext last. */
static void create_rootserver_objects(uint64_t start_pptr, uint64_t size, struct region it_v_reg,
                                      unsigned extra_bi_size_bits)
{
    rootserver_cursor = start_pptr;
    rootserver.cnode = alloc_rootserver_obj(SLOT_BITS, BIT(ROOT_CNODE_SLOT_BITS));
    maybe_alloc_extra_bi(VSPACE_BITS, extra_bi_size_bits);
    rootserver.vspace = alloc_rootserver_obj(VSPACE_BITS, 1);
    if (extra_bi_size_bits > 0)
        maybe_alloc_extra_bi(PAGE_BITS, extra_bi_size_bits);
    rootserver.asid_pool = alloc_rootserver_obj(ASID_POOL_BITS, 1);
    rootserver.ipc_buf = alloc_rootserver_obj(PAGE_BITS, 1);
    rootserver.boot_info = alloc_rootserver_obj(PAGE_BITS, 1);
    uint64_t n_paging = n_paging_structures(it_v_reg);
    rootserver.paging.start = alloc_rootserver_obj(PAGE_TABLE_BITS, n_paging);
    rootserver.paging.end = rootserver.paging.start + (n_paging << PAGE_TABLE_BITS);
    rootserver.tcb = alloc_rootserver_obj(abi_object_bits(SEL4_OBJECT_TCB), 1);
#if CONFIG_KERNEL_MCS
    rootserver.sc = alloc_rootserver_obj(MIN_SCHED_CONTEXT_BITS, 1);
#endif
    /* A loader that pre-filled rootserver.extra_bi made the extra BootInfo
     * allocation be skipped: the region is not used up, and seL4's debug
     * build asserts exactly this. */
    if (rootserver_cursor != start_pptr + size)
        kassert_failed("rootserver_mem.start == rootserver_mem.end", __FILE__, __LINE__,
                       "create_rootserver_objects");
}

/* Takes [start, start + size) out of free region i, keeping both remainders. */
static void remove_from_free(unsigned i, uint64_t start, uint64_t size)
{
    struct region r = freemem[i];
    freemem[i] = (struct region){ r.start, start };
    if (start + size < r.end && freemem_count < MAX_FREE_REGIONS) {
        for (unsigned j = freemem_count; j > i + 1; j--)
            freemem[j] = freemem[j - 1];
        freemem[i + 1] = (struct region){ start + size, r.end };
        freemem_count++;
    }
}

int init_freemem(const struct region *reserved, unsigned n_reserved,
                 struct region it_v_reg, unsigned extra_bi_size_bits)
{
    if (!print_and_check_available())
        return 0;
    if (!print_and_check_reserved(reserved, n_reserved))
        return 0;
    compute_free_ram(reserved, n_reserved);
    /* The last slot must stay free for the remainder beside the root server
     * objects (seL4's init_freemem). */
    if (freemem_count == MAX_FREE_REGIONS) {
        kprintf("ERROR: insufficient MAX_NUM_FREEMEM_REG (%u)\n", (unsigned)MAX_FREE_REGIONS);
        return 0;
    }

    uint64_t size = rootserver_size(it_v_reg, extra_bi_size_bits);
    unsigned align_bits = rootserver_align_bits(extra_bi_size_bits);
    /* Highest region first: the objects end up at the top of RAM, as in seL4. */
    for (unsigned i = freemem_count; i-- > 0;) {
        struct region r = freemem[i];
        if (r.end - r.start < size)
            continue;
        uint64_t start = ROUND_DOWN(r.end - size, align_bits);
        if (start < r.start)
            continue;
        remove_from_free(i, start, size);
        create_rootserver_objects((uint64_t)(uintptr_t)paddr_to_kptr(start), size, it_v_reg,
                                  extra_bi_size_bits);
        return 1;
    }
    kprintf("ERROR: no free memory region is big enough for root server objects, "
            "need size/alignment of 2^%lu\n", (unsigned long)align_bits);
    return 0;
}
