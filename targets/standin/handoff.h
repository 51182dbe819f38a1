/* The loader's hand-off as seL4's try_init_kernel receives it, and the
 * checks seL4 makes on it before it touches memory (the same on AArch64 and
 * RISC-V, in its order and its words): the DTB's place, the user image's
 * virtual end against USER_TOP, and the reserved regions handed to
 * init_freemem. Architecture-neutral: the constants come from the
 * architecture's config.h. */
#ifndef STANDIN_HANDOFF_H
#define STANDIN_HANDOFF_H

#include <stdint.h>

#include "config.h"
#include "freemem.h"
#include "region.h"

/* The hand-off values and everything derived from them. */
struct boot_state {
    struct region ui_p_reg;     /* [arg0, arg1) */
    struct region ui_v_reg;     /* ui_p_reg - pv_offset */
    uint64_t pv_offset;
    uint64_t v_entry;
    uint64_t ipcbuf_vptr, bi_frame_vptr, extra_bi_vptr;
    uint64_t dtb_paddr;
    uint32_t dtb_size;
    uint64_t extra_len;         /* bytes of extra BootInfo content */
    unsigned extra_bi_bits;
    struct region it_v_reg;
    struct region reserved[MAX_RESERVED_REGIONS];   /* kernel-window regions */
    unsigned n_reserved;
};

/* log2 of the extra-bootinfo area for `extra_bi_size` bytes of content
 * (0 when there is none): the page-rounded size, rounded up to a power of 2. */
unsigned extra_bi_size_bits(uint64_t extra_bi_size);

/* Fills s from init_kernel's arguments: IPC buffer right after the image,
 * then BootInfo, then extra BootInfo. */
void handoff_init(struct boot_state *s, uint64_t ui_p_reg_start, uint64_t ui_p_reg_end,
                  int64_t pv_offset, uint64_t v_entry, uint64_t dtb_addr_p, uint32_t dtb_size);

/* seL4's DTB checks (overflow, PADDR_TOP); counts the FDT chunk into
 * extra_len. Prints seL4's ERROR line and returns 0 on failure. */
int handoff_check_dtb(struct boot_state *s);

/* seL4's USER_TOP check of the initial thread's virtual region. */
int handoff_check_user_top(struct boot_state *s);

/* The regions seL4 reserves before init_freemem, in its fixed order:
 * kernel image, DTB (with a size and an address), user image (when: the
 * architecture's rule, config.h). */
void handoff_build_reserved_list(struct boot_state *s, uint64_t kernel_paddr_start,
                                 uint64_t kernel_paddr_end);

#endif
