#include "roottask.h"

#include "check.h"
#include "kernel_abi.h"
#include "print.h"

#define PAGE_SIZE       (UINT64_C(1) << SEL4_PAGE_BITS)
#define FDT_MAGIC       UINT32_C(0xd00dfeed)
#define FDT_HEADER_MIN  8u  /* magic + totalsize, the two fields we read */
#define MIN_UNTYPED_BITS 4u
#define MAX_UNTYPED_BITS 47u

/* Image bounds from roottask.ld. */
extern char image_start[];
extern char _end[];

static seL4_Word round_up_page(seL4_Word v)
{
    return (v + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static seL4_Word region_size(seL4_SlotRegion r)
{
    return r.end > r.start ? r.end - r.start : 0;
}

/* The DTB is big-endian; read byte-wise because the copy sits at +16 in the
 * extra bootinfo and -mstrict-align forbids assuming more. */
static uint32_t read_be32(const volatile uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Slot regions in the order seL4 fills the root CNode after the 16 initial
 * caps: paging structures, extra bootinfo frames, (MCS) one SchedControl
 * cap per node, image frames, untypeds, then the free remainder.
 * sharedFrames and ioSpaceCaps are empty on this platform but still must
 * not overlap anything; schedcontrol is empty without MCS. */
enum { REG_PAGING, REG_EXTRA_BI, REG_SCHEDCONTROL, REG_FRAMES, REG_UNTYPED, REG_EMPTY,
       REG_SHARED, REG_IOSPACE, REG_COUNT };
#define REG_SEQUENCE_LEN 6  /* the first six above, in kernel fill order */

struct named_region {
    const char *name;
    seL4_SlotRegion r;
};

static void check_slot_regions(const seL4_BootInfo *bi)
{
    const struct named_region regions[REG_COUNT] = {
        [REG_PAGING] = { "userImagePaging", bi->userImagePaging },
        [REG_EXTRA_BI] = { "extraBIPages", bi->extraBIPages },
        [REG_SCHEDCONTROL] = { "schedcontrol", bootinfo_schedcontrol(bi) },
        [REG_FRAMES] = { "userImageFrames", bi->userImageFrames },
        [REG_UNTYPED] = { "untyped", bootinfo_untyped(bi) },
        [REG_EMPTY] = { "empty", bi->empty },
        [REG_SHARED] = { "sharedFrames", bi->sharedFrames },
        [REG_IOSPACE] = { "ioSpaceCaps", bi->ioSpaceCaps },
    };
    for (int i = 0; i < REG_COUNT; i++)
        if (i != REG_SCHEDCONTROL || kernel_is_mcs())
            rt_fact(regions[i].name, "0x%lx 0x%lx", regions[i].r.start, regions[i].r.end);
    if (kernel_is_mcs()) {
        seL4_SlotRegion sc = regions[REG_SCHEDCONTROL].r;
        rt_check(sc.start <= sc.end && sc.end - sc.start == bi->numNodes, "schedcontrol.count",
                 "schedcontrol = [0x%lx, 0x%lx), expected one SchedControl cap per node "
                 "(numNodes = %lu)", sc.start, sc.end, bi->numNodes);
    }

    seL4_Word bits = bi->initThreadCNodeSizeBits;
    rt_fact("initThreadCNodeSizeBits", "%lu", bits);
    bool bits_ok = rt_check(bits >= 1 && bits <= 63, "initThreadCNodeSizeBits",
                            "initThreadCNodeSizeBits = %lu, not a usable CNode size", bits);
    seL4_Word cnode_slots = bits_ok ? UINT64_C(1) << bits : 0;
    if (bits_ok)
        rt_check(bi->empty.end == cnode_slots, "empty.end",
                 "empty.end = 0x%lx, expected 1 << initThreadCNodeSizeBits = 0x%lx",
                 bi->empty.end, cnode_slots);

    int bad = -1;
    for (int i = 0; i < REG_COUNT && bad < 0; i++)
        if (regions[i].r.start > regions[i].r.end)
            bad = i;
    bool well_formed = rt_check(bad < 0, "slots.start_le_end", "%s = [0x%lx, 0x%lx) has start > end",
                                bad < 0 ? "" : regions[bad].name,
                                bad < 0 ? 0 : regions[bad].r.start,
                                bad < 0 ? 0 : regions[bad].r.end);

    /* Non-empty regions live between the 16 initial caps and the CNode end. */
    bad = -1;
    for (int i = 0; i < REG_COUNT && bad < 0; i++) {
        seL4_SlotRegion r = regions[i].r;
        if (region_size(r) != 0 && (r.start < SEL4_NUM_INITIAL_CAPS || r.end > cnode_slots))
            bad = i;
    }
    rt_check(bad < 0, "slots.in_cnode",
             "%s = [0x%lx, 0x%lx) not inside [0x%x, 0x%lx) (initial caps .. CNode size)",
             bad < 0 ? "" : regions[bad].name, bad < 0 ? 0 : regions[bad].r.start,
             bad < 0 ? 0 : regions[bad].r.end, SEL4_NUM_INITIAL_CAPS, cnode_slots);

    int bad_a = -1, bad_b = -1;
    for (int a = 0; a < REG_COUNT && bad_a < 0; a++) {
        for (int b = a + 1; b < REG_COUNT && bad_a < 0; b++) {
            seL4_SlotRegion ra = regions[a].r, rb = regions[b].r;
            if (region_size(ra) != 0 && region_size(rb) != 0 &&
                ra.start < rb.end && rb.start < ra.end) {
                bad_a = a;
                bad_b = b;
            }
        }
    }
    rt_check(bad_a < 0, "slots.disjoint", "%s = [0x%lx, 0x%lx) overlaps %s = [0x%lx, 0x%lx)",
             bad_a < 0 ? "" : regions[bad_a].name, bad_a < 0 ? 0 : regions[bad_a].r.start,
             bad_a < 0 ? 0 : regions[bad_a].r.end, bad_b < 0 ? "" : regions[bad_b].name,
             bad_b < 0 ? 0 : regions[bad_b].r.start, bad_b < 0 ? 0 : regions[bad_b].r.end);

    /* seL4 hands out slots in a fixed order; empty regions have no place. */
    int prev = -1;
    bad_a = bad_b = -1;
    for (int i = 0; i < REG_SEQUENCE_LEN && bad_a < 0; i++) {
        if (region_size(regions[i].r) == 0)
            continue;
        if (prev >= 0 && regions[prev].r.end > regions[i].r.start) {
            bad_a = prev;
            bad_b = i;
        }
        prev = i;
    }
    rt_check(bad_a < 0, "slots.sequence",
             "%s = [0x%lx, 0x%lx) not below %s = [0x%lx, 0x%lx) "
             "(expected userImagePaging < extraBIPages < %suserImageFrames < untyped < empty)",
             bad_a < 0 ? "" : regions[bad_a].name, bad_a < 0 ? 0 : regions[bad_a].r.start,
             bad_a < 0 ? 0 : regions[bad_a].r.end, bad_b < 0 ? "" : regions[bad_b].name,
             bad_b < 0 ? 0 : regions[bad_b].r.start, bad_b < 0 ? 0 : regions[bad_b].r.end,
             kernel_is_mcs() ? "schedcontrol < " : "");

    /* Every slot from the first free one after the initial caps up to
     * empty.start belongs to exactly one region (no gaps, no strays). */
    if (well_formed) {
        seL4_Word used = 0;
        bad = -1;
        for (int i = 0; i < REG_COUNT; i++) {
            if (i == REG_EMPTY || region_size(regions[i].r) == 0)
                continue;
            used += region_size(regions[i].r);
            if (regions[i].r.end > bi->empty.start && bad < 0)
                bad = i;
        }
        seL4_Word expected = bi->empty.start >= SEL4_NUM_INITIAL_CAPS
                                 ? bi->empty.start - SEL4_NUM_INITIAL_CAPS : 0;
        rt_check(bad < 0 && used == expected, "slots.contiguous",
                 "regions cover 0x%lx slots (%s ends past empty.start), "
                 "expected [0x%x, empty.start = 0x%lx) = 0x%lx slots",
                 used, bad < 0 ? "none" : regions[bad].name, SEL4_NUM_INITIAL_CAPS,
                 bi->empty.start, expected);
    }
}

static void check_image_and_ipc_buffer(const seL4_BootInfo *bi, seL4_Word bi_va)
{
    seL4_Word img_start = (seL4_Word)(uintptr_t)image_start;
    seL4_Word img_end = (seL4_Word)(uintptr_t)_end;
    seL4_Word img_end_page = round_up_page(img_end);
    seL4_Word img_pages = (img_end_page - img_start) / PAGE_SIZE;

    rt_fact("image", "0x%lx 0x%lx", img_start, img_end);
    rt_fact("image.pages", "%lu", img_pages);
    rt_fact("ipcBuffer", "0x%lx", bi->ipcBuffer);

    rt_check(bi->ipcBuffer == img_end_page, "ipcBuffer.image_end",
             "ipcBuffer = 0x%lx, expected round_up(_end = 0x%lx, 4K) = 0x%lx",
             bi->ipcBuffer, img_end, img_end_page);
    rt_check(bi->ipcBuffer == bi_va - PAGE_SIZE, "ipcBuffer.bootinfo",
             "ipcBuffer = 0x%lx, expected BootInfo VA 0x%lx - 0x1000 = 0x%lx",
             bi->ipcBuffer, bi_va, bi_va - PAGE_SIZE);

    seL4_Word frames = region_size(bi->userImageFrames);
    rt_fact("userImageFrames.count", "%lu", frames);
    rt_check(frames == img_pages, "userImageFrames.count",
             "userImageFrames has %lu caps, image [0x%lx, 0x%lx) spans %lu pages",
             frames, img_start, img_end_page, img_pages);

    seL4_Word paging = region_size(bi->userImagePaging);
    rt_fact("userImagePaging.count", "%lu", paging);
    rt_check(paging >= 1, "userImagePaging.count",
             "userImagePaging = [0x%lx, 0x%lx) is empty, expected the image's page tables",
             bi->userImagePaging.start, bi->userImagePaging.end);
}

static void check_nodes(const seL4_BootInfo *bi)
{
    rt_fact("nodeID", "%lu", bi->nodeID);
    rt_fact("numNodes", "%lu", bi->numNodes);
    rt_fact("numIOPTLevels", "%lu", bi->numIOPTLevels);
    rt_fact("initThreadDomain", "%lu", bi->initThreadDomain);
    /* numNodes is the kernel's core count (1 single-core, MaxNumNodes with
     * SMP); the root task runs on the boot core, node 0 in practice. */
    rt_check(bi->numNodes >= 1 && bi->numNodes <= SEL4_MAX_NUM_NODES && bi->nodeID < bi->numNodes,
             "nodeID", "nodeID = %lu, numNodes = %lu: need 1 <= numNodes <= %u and nodeID < numNodes",
             bi->nodeID, bi->numNodes, SEL4_MAX_NUM_NODES);
}

static void check_untypeds(const seL4_BootInfo *bi)
{
    seL4_SlotRegion untyped = bootinfo_untyped(bi);
    const seL4_UntypedDesc *list = bootinfo_untyped_list(bi);
    seL4_Word count = region_size(untyped);
    rt_fact("untyped.count", "%lu", count);
    bool count_ok = rt_check(untyped.start <= untyped.end && count <= SEL4_MAX_UNTYPED_CAPS,
                             "untyped.count",
                             "untyped = [0x%lx, 0x%lx): %lu caps, at most %u fit untypedList",
                             untyped.start, untyped.end, count, SEL4_MAX_UNTYPED_CAPS);
    if (!count_ok)
        count = SEL4_MAX_UNTYPED_CAPS;

    seL4_Word ram_bytes = 0, device_bytes = 0, ram_count = 0, device_count = 0;
    long bad = -1;
    for (seL4_Word i = 0; i < count; i++) {
        const seL4_UntypedDesc *u = &list[i];
        rt_line("untypedList.%lu = 0x%lx %u %u", i, u->paddr, u->sizeBits, u->isDevice);
        bool sane = u->sizeBits >= MIN_UNTYPED_BITS && u->sizeBits <= MAX_UNTYPED_BITS &&
                    (u->paddr & ((UINT64_C(1) << u->sizeBits) - 1)) == 0 && u->isDevice <= 1;
        if (!sane) {
            if (bad < 0)
                bad = (long)i;
            continue;
        }
        if (u->isDevice) {
            device_bytes += UINT64_C(1) << u->sizeBits;
            device_count++;
        } else {
            ram_bytes += UINT64_C(1) << u->sizeBits;
            ram_count++;
        }
    }
    rt_fact("untyped.ram_count", "%lu", ram_count);
    rt_fact("untyped.ram_bytes", "0x%lx", ram_bytes);
    rt_fact("untyped.device_count", "%lu", device_count);
    rt_fact("untyped.device_bytes", "0x%lx", device_bytes);

    const seL4_UntypedDesc *b = bad < 0 ? &list[0] : &list[bad];
    rt_check(bad < 0, "untypedList.entries",
             "untypedList[%ld] = paddr 0x%lx sizeBits %u isDevice %u: need sizeBits in "
             "[%u, %u], paddr aligned to it, isDevice 0/1",
             bad, b->paddr, b->sizeBits, b->isDevice, MIN_UNTYPED_BITS, MAX_UNTYPED_BITS);
    rt_check(ram_bytes > 0, "untyped.ram_bytes", "no non-device untyped RAM (%lu untypeds)",
             count);
}

/* Size of the extra bootinfo mapping the kernel makes for extraLen bytes:
 * the next power of two, at least one page. */
/* seL4 allocates the extra BootInfo as a power-of-two object but maps (and
 * hands out caps for) only the pages extraLen covers: a 2 MiB DTB gives 514
 * frames, not 1024 (seL4 13.0.0, measured; create_frames_of_region over
 * [extra_bi, extra_bi + extraLen)). */
static seL4_Word extra_bi_mapping_bytes(seL4_Word extra_len)
{
    return (extra_len + PAGE_SIZE - 1) & ~(seL4_Word)(PAGE_SIZE - 1);
}

static void check_dtb(const volatile uint8_t *dtb, seL4_Word dtb_va, seL4_Word chunk_len)
{
    seL4_Word dtb_size = chunk_len - sizeof(seL4_BootInfoHeader);
    rt_fact("dtb.va", "0x%lx", dtb_va);
    rt_fact("dtb.size", "0x%lx", dtb_size);
    if (!rt_check(dtb_size >= FDT_HEADER_MIN, "dtb.header",
                  "FDT chunk len = 0x%lx leaves 0x%lx bytes, too short for a DTB header",
                  chunk_len, dtb_size))
        return;

    uint32_t magic = read_be32(dtb);
    uint32_t totalsize = read_be32(dtb + 4);
    rt_fact("dtb.magic", "0x%x", magic);
    rt_fact("dtb.totalsize", "0x%x", totalsize);
    rt_check(magic == FDT_MAGIC, "dtb.magic", "DTB magic = 0x%08x, expected 0x%08x", magic,
             FDT_MAGIC);
    rt_check(chunk_len == sizeof(seL4_BootInfoHeader) + totalsize, "dtb.size",
             "FDT chunk len = 0x%lx, expected 16 + DTB totalsize 0x%x = 0x%lx", chunk_len,
             totalsize, (seL4_Word)sizeof(seL4_BootInfoHeader) + totalsize);
}

static void check_extra_bootinfo(const seL4_BootInfo *bi, seL4_Word bi_va)
{
    seL4_Word extra_len = bi->extraLen;
    seL4_Word pages = region_size(bi->extraBIPages);
    rt_fact("extraLen", "0x%lx", extra_len);
    rt_fact("extraBIPages.count", "%lu", pages);

    if (extra_len == 0) {
        rt_fact("dtb.size", "0x0");
        rt_check(pages == 0, "extraBIPages.count",
                 "extraLen = 0 but extraBIPages has %lu caps", pages);
        return;
    }

    seL4_Word expected_pages = extra_bi_mapping_bytes(extra_len) / PAGE_SIZE;
    if (!rt_check(pages == expected_pages, "extraBIPages.count",
                  "extraBIPages has %lu caps, extraLen 0x%lx needs %lu pages",
                  pages, extra_len, expected_pages))
        return;  /* without a matching mapping, reading the chunk may fault */

    /* Walk the chunk headers; the kernel maps the chunk right after the
     * BootInfo frame. The first chunk must be the FDT. */
    seL4_Word extra_va = bi_va + PAGE_SIZE;
    rt_fact("extra.va", "0x%lx", extra_va);
    seL4_Word offset = 0;
    bool walk_ok = true;
    bool found_fdt = false;
    seL4_Word first_id = ~UINT64_C(0);
    for (unsigned n = 0; offset + sizeof(seL4_BootInfoHeader) <= extra_len; n++) {
        const volatile seL4_BootInfoHeader *h =
            (const volatile seL4_BootInfoHeader *)(uintptr_t)(extra_va + offset);
        seL4_Word id = h->id, len = h->len;
        rt_line("extra.%u = %lu 0x%lx", n, id, len);
        if (n == 0)
            first_id = id;
        if (len < sizeof(seL4_BootInfoHeader) || len > extra_len - offset) {
            walk_ok = rt_check(false, "extra.chunks",
                               "chunk %u at offset 0x%lx has len 0x%lx, outside extraLen 0x%lx",
                               n, offset, len, extra_len);
            break;
        }
        if (id == SEL4_BOOTINFO_HEADER_FDT && !found_fdt) {
            found_fdt = true;
            check_dtb((const volatile uint8_t *)(uintptr_t)(extra_va + offset +
                                                            sizeof(seL4_BootInfoHeader)),
                      extra_va + offset + sizeof(seL4_BootInfoHeader), len);
        }
        offset += len;
    }
    if (walk_ok)
        rt_check(offset == extra_len, "extra.chunks",
                 "chunks end at offset 0x%lx, extraLen = 0x%lx", offset, extra_len);
    rt_check(first_id == SEL4_BOOTINFO_HEADER_FDT, "extra.header.id",
             "first extra bootinfo chunk id = %ld, expected %d (FDT)", (long)first_id,
             SEL4_BOOTINFO_HEADER_FDT);
}

void check_bootinfo(const seL4_BootInfo *bi, seL4_Word bi_va)
{
    rt_fact("bootinfo", "0x%lx", bi_va);
    check_image_and_ipc_buffer(bi, bi_va);
    check_nodes(bi);
    check_slot_regions(bi);
    check_untypeds(bi);
    check_extra_bootinfo(bi, bi_va);
}
