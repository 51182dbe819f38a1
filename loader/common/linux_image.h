/* The Linux arm64 payload kind: the Image header and where a loader puts
 * the Image, its DTB and its initrd by Linux's boot contract
 * (targets/linux-arm64-boot.md). Shared by the loader (at boot) and the host
 * tools, like plan.h for seL4. */
#ifndef BOOTCHECK_LINUX_IMAGE_H
#define BOOTCHECK_LINUX_IMAGE_H

#include <stdint.h>

#include "plan.h"

#define PAYLOAD_LINUX_IMAGE    "linux.Image"
#define PAYLOAD_LINUX_INITRD   "linux.initrd"
#define PAYLOAD_LINUX_BOOTARGS "linux.bootargs"

#define LINUX_IMAGE_MAGIC   0x644d5241u      /* "ARM\x64" at offset 0x38 */
#define LINUX_HEADER_SIZE   64u
#define LINUX_IMAGE_ALIGN   0x200000u        /* base of the image: 2 MiB aligned */
#define LINUX_DTB_MAX       0x200000u        /* a DTB is at most 2 MiB */
#define LINUX_FLAG_BE       (1u << 0)
#define LINUX_ERR_LEN       200
/* Room the loader adds to the DTB for the /chosen properties it writes
 * (initrd range, bootargs on top): part of the DTB's planned size. */
#define LINUX_CHOSEN_ROOM   512u

struct linux_header {
    uint64_t text_offset, image_size, flags;
};

/* Validates the header of an Image file of `size` bytes; -1 with one sentence. */
int linux_header_read(const uint8_t *image, uint64_t size, struct linux_header *h,
                      char err[LINUX_ERR_LEN]);

struct linux_plan {
    uint64_t base;                 /* 2 MiB aligned */
    uint64_t entry;                /* base + text_offset: where the Image is copied and entered */
    struct mem_range image;        /* [base, base + text_offset + image_size) */
    struct mem_range dtb;          /* [dtb, dtb + dtb_size): 8-byte aligned, in its own 2 MiB */
    struct mem_range initrd;       /* empty without one */
};

/* Places the Image at the lowest 2 MiB-aligned base of the first RAM bank
 * (what flags bit 3 clear asks, and allowed when it is set), the DTB at the
 * next 2 MiB boundary after the image, the initrd 2 MiB after the DTB; each
 * must lie in RAM and clear of the loader. */
int linux_plan_boot(const struct linux_header *h, uint64_t dtb_size, uint64_t initrd_size,
                    const struct mem_range *ram, unsigned nram, struct mem_range loader,
                    struct linux_plan *p, char err[LINUX_ERR_LEN]);

#endif
