/* The BootInfo frame and the extra BootInfo (the FDT chunk): what seL4's
 * populate_bi_frame and try_init_kernel write there, the same on every
 * architecture. The untyped list is bootinfo.c's. */
#include "bootinfo.h"

#include "config.h"
#include "kstring.h"
#include "vspace.h"

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

