/* The Linux payload kind: the loader as a Linux boot loader, by the contract
 * in targets/linux-arm64-boot.md. */
#include "linux_boot.h"

#include <libfdt.h>
#include <stdint.h>

#include "../../common/cpio.h"
#include "../../common/linux_image.h"
#include "enter.h"
#include "mutations.h"
#include "power.h"
#include "sysreg.h"
#include "uart.h"

extern uint8_t __loader_start[], __loader_end[];

/* Clean and invalidate [start, end) to the point of coherency: the kernel
 * starts with the MMU and D-cache off and must see these bytes in memory. */
static void clean_to_poc(uint64_t start, uint64_t end)
{
    uint64_t ctr = sysreg_read(CTR_EL0);
    uint64_t line = 4u << ((ctr >> 16) & 0xf);
    for (uint64_t a = start & ~(line - 1); a < end; a += line)
        __asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
    __asm__ volatile("dsb sy" ::: "memory");
}

static void fdt_check(int r, const char *what)
{
    if (r < 0)
        loader_fail("Linux DTB: %s: %s", what, fdt_strerror(r));
}

/* The DTB the kernel gets: the loader's, with /chosen's initrd and bootargs. */
static uint64_t write_dtb(const struct dtb_info *dtb, const struct linux_plan *p,
                          const struct cpio_member *args, int have_initrd)
{
    void *fdt = (void *)(uintptr_t)p->dtb.start;
    fdt_check(fdt_open_into(dtb->fdt, fdt, (int)(p->dtb.end - p->dtb.start)), "fdt_open_into");
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen == -FDT_ERR_NOTFOUND)
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    fdt_check(chosen, "/chosen");
    if (have_initrd) {
        uint64_t start = p->initrd.start, end = p->initrd.end;
#ifdef BC_MUTATE_LINUX_INITRD_OUTSIDE_RAM
        start = dtb->ram[dtb->nram - 1].end + 0x100000;
        end = start + (p->initrd.end - p->initrd.start);
#endif
        fdt_check(fdt_setprop_u64(fdt, chosen, "linux,initrd-start", start), "linux,initrd-start");
        fdt_check(fdt_setprop_u64(fdt, chosen, "linux,initrd-end", end), "linux,initrd-end");
    }
    if (args != 0) {
        uint64_t n = args->size;
        while (n > 0 && (args->data[n - 1] == '\n' || args->data[n - 1] == '\0'))
            n--;
        void *value;
        fdt_check(fdt_setprop_placeholder(fdt, chosen, "bootargs", (int)n + 1, &value), "bootargs");
        char *dst = value;
        load_copy(dst, args->data, n);
        dst[n] = '\0';
    }
    fdt_check(fdt_pack(fdt), "fdt_pack");
#ifdef BC_MUTATE_LINUX_DTB_OVER_2M
    fdt_set_totalsize(fdt, LINUX_DTB_MAX + 8);
#endif
    return fdt_totalsize(fdt);
}

void linux_boot(const struct dtb_info *dtb)
{
    struct cpio_member image, initrd, args;
    if (!find_member(PAYLOAD_LINUX_IMAGE, &image))
        loader_fail("payload has no %s", PAYLOAD_LINUX_IMAGE);
    struct linux_header h;
    char err[LINUX_ERR_LEN];
    if (linux_header_read(image.data, image.size, &h, err) != 0)
        loader_fail("%s", err);
    int have_initrd = find_member(PAYLOAD_LINUX_INITRD, &initrd);
    int have_args = find_member(PAYLOAD_LINUX_BOOTARGS, &args);

    struct linux_plan p;
    struct mem_range loader = { (uintptr_t)__loader_start, (uintptr_t)__loader_end };
    uint64_t room = dtb->size + LINUX_CHOSEN_ROOM + (have_args ? args.size : 0);
    if (linux_plan_boot(&h, room, have_initrd ? initrd.size : 0, dtb->ram, dtb->nram, loader, &p,
                        err) != 0)
        loader_fail("%s", err);
#ifdef BC_MUTATE_LINUX_IMAGE_MISPLACED
    p.entry += 0x1000;
#endif
    uart_printf("loader: Linux Image text_offset 0x%lx image_size 0x%lx flags 0x%lx\n",
                (unsigned long)h.text_offset, (unsigned long)h.image_size, (unsigned long)h.flags);
    uart_printf("loader: linux image paddr [0x%lx..0x%lx) entry 0x%lx\n", (unsigned long)p.image.start,
                (unsigned long)p.image.end, (unsigned long)p.entry);

    /* The DTB first: QEMU's copy lies where the Image is about to go. */
    uint64_t dtb_size = write_dtb(dtb, &p, have_args ? &args : 0, have_initrd);
#ifdef BC_MUTATE_LINUX_DTB_MISALIGNED
    /* libfdt refuses to work on a misaligned blob: move the finished one. */
    for (uint64_t i = dtb_size; i-- > 0;)
        ((volatile uint8_t *)(uintptr_t)p.dtb.start)[i + 4] = ((uint8_t *)(uintptr_t)p.dtb.start)[i];
    p.dtb.start += 4;
#endif
    load_copy((void *)(uintptr_t)p.entry, image.data, image.size);
#ifdef BC_MUTATE_STRAY_WRITE
    *(volatile uint64_t *)(uintptr_t)__loader_end = BC_MUTANT_STRAY_VALUE;
#endif
    if (have_initrd)
        load_copy((void *)(uintptr_t)p.initrd.start, initrd.data, initrd.size);
    clean_to_poc(p.entry, p.entry + image.size);
    clean_to_poc(p.dtb.start, p.dtb.start + dtb_size);
    if (have_initrd)
        clean_to_poc(p.initrd.start, p.initrd.end);

    uart_printf("loader: linux dtb [0x%lx..0x%lx) initrd [0x%lx..0x%lx)\n", (unsigned long)p.dtb.start,
                (unsigned long)(p.dtb.start + dtb_size), (unsigned long)p.initrd.start,
                (unsigned long)p.initrd.end);
    uart_printf("loader: jumping to Linux at 0x%lx (EL%u) x0=0x%lx\n", (unsigned long)p.entry,
                current_el(), (unsigned long)p.dtb.start);
    enter_linux(p.entry, p.dtb.start);
}
