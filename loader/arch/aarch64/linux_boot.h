#ifndef LOADER_LINUX_BOOT_H
#define LOADER_LINUX_BOOT_H

#include "dtb.h"

/* The Linux payload kind (loader/common/linux_image.h): places the Image,
 * a copy of the DTB with /chosen filled in (initrd, bootargs) and the initrd
 * by Linux's boot contract, cleans them to the point of coherency, turns the
 * MMU and caches off and enters the Image at the EL the loader started in,
 * with x0 = DTB and x1..x3 = 0. */
void linux_boot(const struct dtb_info *dtb) __attribute__((noreturn));

/* A payload archive member by name (main.c): 1 found, 0 absent; a broken
 * archive stops the machine. */
struct cpio_member;
int find_member(const char *name, struct cpio_member *m);

/* Defined (absolute, nonzero) by the pack step only for a Linux payload. */
extern const char payload_is_linux[] __attribute__((weak));

#endif
