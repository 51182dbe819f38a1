/* What pack-check's modes share with the pack step (pack_step.c), which runs
 * them in its own process instead of starting pack-check for each. Each
 * prints its own `pack: error:` line; the checks that read a file exit(1)
 * when they cannot (the pack step removes its temporary files at exit). */
#ifndef BOOTCHECK_PACK_CHECK_H
#define BOOTCHECK_PACK_CHECK_H

#include <stdint.h>

/* The whole pack step: pack-check --pack KERNEL ROOTTASK DTB OUT (pack_step.c). */
int pack_step(int argc, char **argv);

/* --payload OUT [options] [PAD/]NAME=PATH... with argv as pack-check's own
 * (argv[2] is OUT): writes the archive (and object), and gives the kernel's
 * core count and the size of member kernel.dtb instead of printing them. */
int payload_build(int argc, char **argv, unsigned *nodes, uint64_t *dtb_size);

/* --linux-image PATH, --handoff-record KERNEL SYMBOL MEMBER_OUT, --arch KERNEL. */
int check_linux_image(const char *path);
int write_record_member(const char *kernel_path, const char *symbol, const char *out);
const char *kernel_arch_name(const char *path);

/* KERNEL ROOTTASK DTB|- RAM_MIB LOADER_START LOADER_END (args[0..5]); with
 * link_addr_mode, --link-addr's answer in *link_addr instead of the plan. */
int plan_check(char **args, int link_addr_mode, uint64_t *link_addr);

/* LOADER_END: a number, or @IMAGE for that image's __loader_end (0: none). */
uint64_t loader_end_arg(const char *arg);

#endif
