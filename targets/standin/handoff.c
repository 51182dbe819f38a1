#include "handoff.h"

#include "release.h"
#include "sel4_abi.h"
#include "uart.h"

/* A loop, not __builtin_clzll: on riscv64 without Zbb that is a libgcc call. */
static unsigned floor_log2(uint64_t v)
{
    unsigned bits = 0;
    while (v >>= 1)
        bits++;
    return bits;
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

static struct region paddr_to_kregion(uint64_t start, uint64_t end)
{
    return (struct region){ start + PPTR_BASE, end + PPTR_BASE };
}

void handoff_init(struct boot_state *s, uint64_t ui_p_reg_start, uint64_t ui_p_reg_end,
                  int64_t pv_offset, uint64_t v_entry, uint64_t dtb_addr_p, uint32_t dtb_size)
{
    *s = (struct boot_state){
        .ui_p_reg = { ui_p_reg_start, ui_p_reg_end },
        .ui_v_reg = { ui_p_reg_start - (uint64_t)pv_offset, ui_p_reg_end - (uint64_t)pv_offset },
        .pv_offset = (uint64_t)pv_offset,
        .v_entry = v_entry,
        .dtb_paddr = dtb_addr_p,
        .dtb_size = dtb_size,
    };
    s->ipcbuf_vptr = s->ui_v_reg.end;
    s->bi_frame_vptr = s->ipcbuf_vptr + BIT(PAGE_BITS);
    s->extra_bi_vptr = s->bi_frame_vptr + BIT(PAGE_BITS);
}

int handoff_check_dtb(struct boot_state *s)
{
    if (s->dtb_size == 0)
        return 1;
    uint64_t dtb_end = s->dtb_paddr + s->dtb_size;
    if (dtb_end < s->dtb_paddr) {
        kprintf("ERROR: DTB location at %lx len %lu invalid\n", (unsigned long)s->dtb_paddr,
                (unsigned long)s->dtb_size);
        return 0;
    }
    if (dtb_end >= PADDR_TOP) {
        kprintf("ERROR: DTB at [%lx..%lx%c exceeds PADDR_TOP (%lx)\n", (unsigned long)s->dtb_paddr,
                (unsigned long)dtb_end, region_close(), (unsigned long)PADDR_TOP);
        return 0;
    }
    s->extra_len += sizeof(seL4_BootInfoHeader) + s->dtb_size;
    return 1;
}

int handoff_check_user_top(struct boot_state *s)
{
    s->extra_bi_bits = extra_bi_size_bits(s->extra_len);
    /* Without extra BootInfo, 13.0 still adds BIT(0) = 1 byte; 14.0 on adds nothing. */
    uint64_t extra_span = s->extra_bi_bits > 0 || !release_at_least(14) ? BIT(s->extra_bi_bits) : 0;
    s->it_v_reg = (struct region){ s->ui_v_reg.start, s->extra_bi_vptr + extra_span };
    /* A start at or above USER_TOP can make the end wrap around to a small
     * value; seL4's single comparison would miss that, the true end is
     * still past USER_TOP, so it is reported the same way. */
    if (s->it_v_reg.end >= USER_TOP || s->it_v_reg.start >= USER_TOP ||
        s->it_v_reg.end < s->it_v_reg.start) {
        /* No space before "exceeds": seL4's format string has none either. */
        kprintf("ERROR: userland image virt [%lx..%lx%cexceeds USER_TOP (%lx)\n",
                (unsigned long)s->it_v_reg.start, (unsigned long)s->it_v_reg.end, region_close(),
                (unsigned long)USER_TOP);
        return 0;
    }
    return 1;
}

void handoff_build_reserved_list(struct boot_state *s, uint64_t kernel_paddr_start,
                                 uint64_t kernel_paddr_end)
{
    s->n_reserved = 0;
    s->reserved[s->n_reserved++] = paddr_to_kregion(kernel_paddr_start, kernel_paddr_end);
    /* A DTB with a size but at address 0 is passed on, not reserved. */
    if (s->dtb_size > 0 && s->dtb_paddr != 0)
        s->reserved[s->n_reserved++] = paddr_to_kregion(s->dtb_paddr, s->dtb_paddr + s->dtb_size);
    /* AArch64 reserves the user image only inside the kernel window; RISC-V always. */
    if (s->ui_p_reg.start < PADDR_TOP || !RESERVE_USER_IMAGE_ONLY_IN_WINDOW)
        s->reserved[s->n_reserved++] = paddr_to_kregion(s->ui_p_reg.start, s->ui_p_reg.end);
}
