/* pack-check: validates a kernel, a root task and an optional DTB before they
 * are packed into a loader image, and prints the boot plan the loader will
 * follow on a QEMU virt machine with the given RAM. Runs the loader's own
 * shared code (ELF validation, placement), so a payload that passes here
 * fails at boot only for reasons that depend on the machine.
 *
 * RAM is RAM_MIB at the start of virt's RAM, or, when a DTB is given, what
 * its /memory nodes say (as the loader reads it).
 *
 * usage: pack-check KERNEL ROOTTASK [DTB|-] RAM_MIB LOADER_START LOADER_END
 *        pack-check --pack KERNEL ROOTTASK DTB OUT   (the whole pack step,
 *                   `make image`: pack_step.c, which runs the modes below in
 *                   this process)
 *        pack-check --handoff-record KERNEL SYMBOL MEMBER_OUT
 *        pack-check --kernel-nodes KERNEL
 *        pack-check --arch KERNEL   (aarch64 or riscv64, from e_machine)
 *        pack-check --link-addr KERNEL ROOTTASK DTB|- RAM_MIB 0 LOADER_SIZE   (riscv64)
 *        pack-check --linux-image IMAGE   (a Linux arm64 Image's header)
 *        pack-check --payload OUT [--align8] [--nodes KERNEL] [PAD/]NAME=PATH...
 *
 * LOADER_END may be @IMAGE: the __loader_end symbol of that linked loader
 * image (0 if it has none), read here instead of by readelf.
 *
 * --payload writes the payload archive (cpio_write.h) from the member files
 * and prints "NODES DTB_SIZE": the kernel's core count as --kernel-nodes
 * prints it (0 without --nodes, or for a kernel it cannot read: the checks
 * name that) and the size of member kernel.dtb (0: none), which the link
 * needs. One process for what were a copy, touch, cpio, stat and
 * --kernel-nodes per image.
 *
 * The second form is the pack step of the opt-in hand-off record protocol
 * (loader/common/handoff_record.h): it resolves SYMBOL in KERNEL and writes
 * the payload member (the record's physical address, 8 bytes little-endian).
 * The third prints how many cores the kernel needs (plan_kernel_nodes); the
 * pack step links it into the image, so the loader need not search the
 * kernel's symbol table at boot. */
#define _POSIX_C_SOURCE 200809L   /* fileno, O_CLOEXEC */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cpio.h"
#include "../common/dtb_parse.h"
#include "../common/elf.h"
#include "../common/handoff_record.h"
#include "../common/linux_image.h"
#include "../common/plan.h"
#include "../common/qemu_virt.h"
#include "cpio_write.h"
#include "pack_check.h"
#include "payload_object.h"
#include "record_symbol.h"

/* The whole file mapped copy-on-write (an empty file: a 1-byte buffer of
 * its own), or NULL: *opened says whether open succeeded (if not, errno is
 * open's). Mapped, not read: a pack reads kernel, root task and image (about
 * 1.5 MB) several times, and reading them into malloc'd memory cost 4 KiB
 * page faults (about 17 us each on a paravirtualised host) that the page
 * cache's mapping, faulted in 64 KiB at a time, mostly avoids. */
static unsigned char empty_file[1];

static unsigned char *load_file(const char *path, uint64_t *size, int *opened)
{
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *opened = fd >= 0;
    if (fd < 0)
        return NULL;
    struct stat st;
    unsigned char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (st.st_size == 0) {
            buf = empty_file;
        } else {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
            buf = p == MAP_FAILED ? NULL : p;
        }
    }
    close(fd);
    if (buf != NULL)
        *size = (uint64_t)st.st_size;
    return buf;
}

/* Gives back what load_file returned. */
static void release_file(unsigned char *data, uint64_t size)
{
    if (data != NULL && data != empty_file)
        munmap(data, (size_t)size);
}

/* The whole file, or NULL (nothing said) when it cannot be opened or read
 * or is empty: for the quiet lookups below, which leave the refusal to the
 * pre-check or the loader. */
static unsigned char *read_file_quiet(const char *path, uint64_t *size)
{
    int opened;
    unsigned char *data = load_file(path, size, &opened);
    if (data != NULL && *size == 0) {
        release_file(data, 0);
        data = NULL;
    }
    return data;
}

/* The whole file, or the pack step stops with a line naming it. */
static unsigned char *read_file(const char *path, const char *what, uint64_t *size)
{
    int opened;
    unsigned char *buf = load_file(path, size, &opened);
    if (buf == NULL) {
        if (!opened)
            fprintf(stderr, "pack: error: cannot open %s '%s': %s\n", what, path, strerror(errno));
        else
            fprintf(stderr, "pack: error: cannot read %s '%s'\n", what, path);
        exit(1);
    }
    return buf;
}

/* The e_machine of an ELF file (0 if it is too short to have one). */
static unsigned file_machine(const unsigned char *data, uint64_t size)
{
    return size >= 20 && data[0] == 0x7f && data[1] == 'E' ? (unsigned)(data[18] | data[19] << 8) : 0;
}

/* Validated for `machine` (ELF_EM_AARCH64 or ELF_EM_RISCV). */
static void load_elf_for(const char *path, const char *name, unsigned machine, struct elf_image *img)
{
    uint64_t size;
    unsigned char *data = read_file(path, name, &size);
    char err[ELF_ERR_LEN];
    if (elf_validate_machine(img, data, size, machine, err) != 0) {
        fprintf(stderr, "pack: error: %s (%s): %s\n", name, path, err);
        exit(1);
    }
}

static void load_elf(const char *path, const char *name, struct elf_image *img)
{
    load_elf_for(path, name, ELF_EM_AARCH64, img);
}

/* The kernel's architecture decides the image's: EM_RISCV makes a riscv64
 * image, anything else is checked as AArch64 (the messages say what it is not). */
static unsigned kernel_machine(const char *path)
{
    uint64_t size;
    unsigned char *data = read_file(path, "kernel.elf", &size);
    unsigned m = file_machine(data, size);
    release_file(data, size);
    return m == ELF_EM_RISCV ? ELF_EM_RISCV : ELF_EM_AARCH64;
}

/* The kernel's architecture as --arch prints it ("aarch64" or "riscv64"),
 * or NULL after the line read_file prints when the file cannot be read. */
const char *kernel_arch_name(const char *path)
{
    int opened;
    uint64_t size;
    unsigned char *data = load_file(path, &size, &opened);
    if (data == NULL) {
        if (!opened)
            fprintf(stderr, "pack: error: cannot open kernel.elf '%s': %s\n", path, strerror(errno));
        else
            fprintf(stderr, "pack: error: cannot read kernel.elf '%s'\n", path);
        return NULL;
    }
    unsigned m = file_machine(data, size);
    release_file(data, size);
    return elf_machine_arch(m == ELF_EM_RISCV ? ELF_EM_RISCV : ELF_EM_AARCH64);
}

/* Kernel and root task of two known architectures: one line naming both. */
static void check_same_arch(const char *kernel, const char *roottask, unsigned machine)
{
    uint64_t size;
    unsigned char *data = read_file(roottask, "roottask.elf", &size);
    unsigned m = file_machine(data, size);
    release_file(data, size);
    if ((m == ELF_EM_AARCH64 || m == ELF_EM_RISCV) && m != machine) {
        fprintf(stderr, "pack: error: roottask.elf (%s) is built for %s (%s %u) but kernel.elf (%s)"
                " for %s (%s %u): build both for one architecture\n", roottask, elf_machine_arch(m),
                elf_machine_name(m), m, kernel, elf_machine_arch(machine), elf_machine_name(machine),
                machine);
        exit(1);
    }
}

int write_record_member(const char *kernel_path, const char *symbol, const char *out)
{
    struct elf_image kernel;
    load_elf(kernel_path, "kernel.elf", &kernel);
    struct record_location at;
    char err[RECORD_SYMBOL_ERR_LEN];
    if (record_symbol_locate(&kernel, symbol, &at, err) != 0) {
        fprintf(stderr, "pack: error: %s\n", err);
        return 1;
    }
    unsigned char member[HANDOFF_RECORD_MEMBER_SIZE];
    for (unsigned i = 0; i < sizeof member; i++)
        member[i] = (unsigned char)(at.paddr >> (8 * i));
    FILE *f = fopen(out, "wb");
    if (f == NULL || fwrite(member, 1, sizeof member, f) != sizeof member || fclose(f) != 0) {
        fprintf(stderr, "pack: error: cannot write %s member '%s'\n", PAYLOAD_HANDOFF_RECORD, out);
        return 1;
    }
    printf("pack: hand-off record '%s' at vaddr 0x%lx, paddr 0x%lx (%zu of its %lu bytes)\n",
           symbol, (unsigned long)at.vaddr, (unsigned long)at.paddr, sizeof(struct handoff_record),
           (unsigned long)at.size);
    return 0;
}

/* The Linux payload kind: the Image's header, checked by the loader's code.
 * Only the header is read (the file is tens of MB); the size is the file's. */
int check_linux_image(const char *path)
{
    unsigned char head[LINUX_HEADER_SIZE] = { 0 };
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "pack: error: cannot open Linux Image '%s': %s\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return 1;
    }
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    uint64_t size = (uint64_t)st.st_size;
    if (got < sizeof head && got < size) {
        fprintf(stderr, "pack: error: cannot read Linux Image '%s'\n", path);
        return 1;
    }
    struct linux_header h;
    char err[LINUX_ERR_LEN];
    if (linux_header_read(head, size, &h, err) != 0) {
        fprintf(stderr, "pack: error: %s: %s\n", path, err);
        return 1;
    }
    printf("pack: Linux Image text_offset 0x%lx image_size 0x%lx flags 0x%lx\n",
           (unsigned long)h.text_offset, (unsigned long)h.image_size, (unsigned long)h.flags);
    return 0;
}

/* The kernel's core count, 0 when it is no ELF this tool reads (quietly: the
 * pre-check or the loader refuses it in its own words). */
static unsigned kernel_nodes_quiet(const char *path)
{
    uint64_t n;
    unsigned char *data = read_file_quiet(path, &n);
    unsigned nodes = 0;
    struct elf_image kernel;
    char err[ELF_ERR_LEN];
    if (data != NULL &&
        elf_validate_machine(&kernel, data, n, file_machine(data, n) == ELF_EM_RISCV ?
                             ELF_EM_RISCV : ELF_EM_AARCH64, err) == 0)
        nodes = plan_kernel_nodes(&kernel);
    release_file(data, n);
    return nodes;
}

/* --payload OUT [--align8] [--nodes KERNEL] [PAD/]NAME=PATH... */
/* The checks of the inputs on their own, before any plan: the kernel's and
 * the root task's ELF (one architecture) and the DTB's blob (DTB "-": none).
 * Prints the `pack: error:` line and exits or returns 1 on the first
 * failure. The full pre-check runs them first; --payload --check runs them
 * before the link, so a broken input costs no assembler or linker. */
static int check_inputs(const char *kernel_path, const char *roottask_path, const char *dtb_path,
                        unsigned *machine, struct elf_image *kernel, struct elf_image *roottask,
                        unsigned char **fdt_out, uint64_t *fdt_size)
{
    *machine = kernel_machine(kernel_path);
    check_same_arch(kernel_path, roottask_path, *machine);
    load_elf_for(kernel_path, "kernel.elf", *machine, kernel);
    load_elf_for(roottask_path, "roottask.elf", *machine, roottask);
    *fdt_out = NULL;
    if (strcmp(dtb_path, "-") == 0)
        return 0;
    uint64_t size;
    unsigned char *fdt = read_file(dtb_path, "DTB", &size);
    int err = size < sizeof(struct fdt_header) ? -FDT_ERR_TRUNCATED : fdt_check_header(fdt);
    if (err == 0 && fdt_totalsize(fdt) > size)
        err = -FDT_ERR_TRUNCATED;
    /* Before version 16 node names are full paths, and libfdt 1.6.1's
     * fdt_check_full dereferences the NULL name fdt_get_name returns for a
     * root without a '/' (found by harness/fuzz/fuzz_dtb.c). */
    if (err == 0 && fdt_version(fdt) < 16) {
        fprintf(stderr, "pack: error: kernel.dtb (%s) is not a valid DTB: version %u is older"
                " than 16, the oldest the loader reads\n", dtb_path, fdt_version(fdt));
        return 1;
    }
    if (err == 0)
        err = fdt_check_full(fdt, fdt_totalsize(fdt));
    if (err != 0) {
        fprintf(stderr, "pack: error: kernel.dtb (%s) is not a valid DTB: %s\n", dtb_path,
                fdt_strerror(err));
        return 1;
    }
    /* The loader's remaining blob checks (the reservation map), in its words. */
    char what[300], why[DTB_ERR_LEN];
    snprintf(what, sizeof what, "kernel.dtb (%s)", dtb_path);
    if (dtb_check_blob(fdt, size, what, why) != 0) {
        fprintf(stderr, "pack: error: %s\n", why);
        return 1;
    }
    *fdt_out = fdt;
    *fdt_size = size;
    return 0;
}

int payload_build(int argc, char **argv, unsigned *nodes_out, uint64_t *dtb_size_out)
{
    const char *out = argv[2], *nodes_of = NULL, *check[3] = { NULL, NULL, NULL };
    const char *object = NULL, *object_arch = NULL;
    int align8 = 0, i = 3;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--align8") == 0)
            align8 = 1;
        else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
            nodes_of = argv[++i];
        else if (strcmp(argv[i], "--object") == 0 && i + 2 < argc) {
            object = argv[++i];
            object_arch = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0 && i + 3 < argc) {
            check[0] = argv[++i];
            check[1] = argv[++i];
            check[2] = argv[++i];
        } else
            break;
    }
    if (check[0] != NULL) {
        struct elf_image kernel, roottask;
        unsigned char *fdt;
        uint64_t fdt_size;
        unsigned machine;
        if (check_inputs(check[0], check[1], check[2], &machine, &kernel, &roottask, &fdt,
                         &fdt_size) != 0)
            return 1;
    }
    static struct newc_member members[16];
    unsigned n = 0;
    for (; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL || n == sizeof members / sizeof members[0]) {
            fprintf(stderr, "usage: pack-check --payload OUT [--align8] [--nodes KERNEL] [--object OBJ ARCH] [--check KERNEL ROOTTASK DTB|-] [PAD/]NAME=PATH...\n");
            return 2;
        }
        *eq = '\0';
        char *slash = strchr(argv[i], '/');
        if (slash != NULL)
            *slash = '\0';
        members[n++] = (struct newc_member){ .name = slash ? slash + 1 : argv[i], .path = eq + 1,
                                             .pad_name = slash ? argv[i] : NULL };
    }
    if (newc_write(out, members, n, align8) != 0)
        return 1;
    uint64_t dtb_size = 0;
    int has_record = 0, is_linux = 0;
    for (unsigned k = 0; k < n; k++) {
        if (strcmp(members[k].name, PAYLOAD_DTB) == 0)
            dtb_size = members[k].size;
        has_record |= strcmp(members[k].name, "handoff.record") == 0;
        is_linux |= strcmp(members[k].name, "linux.Image") == 0;
    }
    unsigned nodes = nodes_of ? kernel_nodes_quiet(nodes_of) : 0;
    if (object != NULL) {
        /* The symbols the loader reads, in the order the pack script once assembled
         * them: the hand-off record's presence (the loader searches the
         * archive only then), the kernel's core count when it has more than
         * one, the Linux payload kind. */
        struct payload_symbol symbols[3];
        unsigned nsymbols = 0;
        if (has_record)
            symbols[nsymbols++] = (struct payload_symbol){ "payload_has_handoff_record", 1 };
        if (nodes > 1)
            symbols[nsymbols++] = (struct payload_symbol){ "payload_kernel_nodes", nodes };
        if (is_linux)
            symbols[nsymbols++] = (struct payload_symbol){ "payload_is_linux", 1 };
        if (payload_object_write(object, out, object_arch, symbols, nsymbols) != 0)
            return 1;
    }
    *nodes_out = nodes;
    *dtb_size_out = dtb_size;
    return 0;
}

static int write_payload(int argc, char **argv)
{
    unsigned nodes;
    uint64_t dtb_size;
    int status = payload_build(argc, argv, &nodes, &dtb_size);
    if (status == 0)
        printf("%u %lu\n", nodes, (unsigned long)dtb_size);
    return status;
}

/* LOADER_END: a number, or @IMAGE for the linked image's __loader_end. */
uint64_t loader_end_arg(const char *arg)
{
    if (arg[0] != '@')
        return strtoull(arg, NULL, 0);
    uint64_t n;
    unsigned char *data = read_file_quiet(arg + 1, &n);
    uint64_t end = 0, size;
    struct elf_image img;
    char err[ELF_ERR_LEN];
    if (data != NULL &&
        elf_validate_machine(&img, data, n, file_machine(data, n), err) == 0 &&
        elf_symbol_lookup(&img, "__loader_end", &end, &size) != 0)
        end = 0;
    release_file(data, n);
    return end;
}

/* The pre-check's plan for KERNEL ROOTTASK DTB|- RAM_MIB LOADER_START
 * LOADER_END (args[0..5]): prints the plan's line, or the `pack: error:`
 * line and returns 1. With link_addr_mode (riscv64; LOADER_START 0 and
 * LOADER_END the loader's size) it prints nothing and says in *link_addr
 * where to link the loader instead. */
int plan_check(char **args, int link_addr_mode, uint64_t *link_addr)
{
    struct elf_image kernel, roottask;
    unsigned char *fdt;
    uint64_t fdt_size;
    unsigned machine;
    if (check_inputs(args[0], args[1], args[2], &machine, &kernel, &roottask, &fdt, &fdt_size) != 0)
        return 1;

    struct plan_inputs in = { .kernel = &kernel, .roottask = &roottask };
    uint64_t ram_base = machine == ELF_EM_RISCV ? RISCV_VIRT_RAM_BASE : VIRT_RAM_BASE;
    in.ram[0].start = ram_base;
    in.ram[0].end = ram_base + strtoull(args[3], NULL, 0) * 1024 * 1024;
    in.nram = 1;
    in.loader.start = strtoull(args[4], NULL, 0);
    in.loader.end = loader_end_arg(args[5]);

    if (fdt != NULL) {
        in.dtb_size = dtb_handover_size(fdt);   /* what the loader hands over, packed */
        /* The loader takes RAM from the payload DTB, not from RAM_MIB, with
         * the same code (loader/common/dtb_parse.c). */
        char dtb_err[DTB_ERR_LEN];
        if (dtb_read_memory(fdt, args[2], in.ram, &in.nram, dtb_err) != 0) {
            fprintf(stderr, "pack: error: %s\n", dtb_err);
            return 1;
        }
    } else {
        /* QEMU's DTB is packed by the loader to a few KiB; 16 KiB is a safe bound. */
        in.dtb_size = 0x4000;
    }

    struct boot_plan plan;
    char err[PLAN_ERR_LEN];
    if (machine == ELF_EM_RISCV && link_addr_mode) {
        /* Where the riscv64 loader goes: OpenSBI's next-stage address if the
         * plan leaves [it, + loader size) free, else the first 2 MiB boundary
         * above everything the plan places (seL4 16.0.0's kernel is linked at
         * 0x80200000 itself). */
        uint64_t size = in.loader.end - in.loader.start;
        in.loader.start = in.loader.end = 0;
        if (plan_boot(&in, &plan, err) != 0) {
            fprintf(stderr, "pack: error: %s\n", err);
            return 1;
        }
        struct mem_range placed[3] = { plan.kernel_phys, plan.dtb_phys, plan.user_phys };
        uint64_t at = RISCV_SBI_FIRMWARE_END, top = 0;
        int clash = 0;
        for (int i = 0; i < 3; i++) {
            if (placed[i].end > top)
                top = placed[i].end;
            clash |= placed[i].start < at + size && at < placed[i].end;
        }
        *link_addr = clash ? PLAN_ROUND_UP(top, 0x200000u) : at;
        return 0;
    }
    if (plan_boot(&in, &plan, err) != 0) {
        fprintf(stderr, "pack: error: %s\n", err);
        return 1;
    }
    if (machine == ELF_EM_RISCV && plan.kernel_phys.start < RISCV_SBI_FIRMWARE_END) {
        fprintf(stderr, "pack: error: kernel paddr [0x%lx..0x%lx) lies below 0x%x, in the SBI"
                " firmware's memory\n", (unsigned long)plan.kernel_phys.start,
                (unsigned long)plan.kernel_phys.end, RISCV_SBI_FIRMWARE_END);
        return 1;
    }
    printf("pack: %s%s kernel paddr [0x%lx..0x%lx), roottask %lu KiB entry 0x%lx, ",
           machine == ELF_EM_RISCV ? "riscv64 " : "",
           machine == ELF_EM_RISCV ? "S-mode" : plan.flavour == KERNEL_HYP ? "EL2 (hyp)" : "EL1",
           (unsigned long)plan.kernel_phys.start, (unsigned long)plan.kernel_phys.end,
           (unsigned long)((plan.user_phys.end - plan.user_phys.start) >> 10),
           (unsigned long)roottask.entry);
    if (strcmp(args[2], "-") != 0)
        printf("paddr [0x%lx..0x%lx)\n", (unsigned long)plan.user_phys.start,
               (unsigned long)plan.user_phys.end);
    else
        printf("placed after QEMU's DTB at boot (checked here for a DTB of up to %lu KiB)\n",
               (unsigned long)(in.dtb_size >> 10));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--pack") == 0)
        return pack_step(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "--linux-image") == 0)
        return check_linux_image(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "--payload") == 0)
        return write_payload(argc, argv);
    if (argc == 5 && strcmp(argv[1], "--handoff-record") == 0)
        return write_record_member(argv[2], argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "--arch") == 0) {
        printf("%s\n", elf_machine_arch(kernel_machine(argv[2])));
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--kernel-nodes") == 0) {
        struct elf_image kernel;
        load_elf_for(argv[2], "kernel.elf", kernel_machine(argv[2]), &kernel);
        printf("%u\n", plan_kernel_nodes(&kernel));
        return 0;
    }
    /* --link-addr KERNEL ROOTTASK DTB|- RAM_MIB 0 LOADER_SIZE: where to link a
     * riscv64 loader of that size (see plan_check). */
    if (argc == 8 && strcmp(argv[1], "--link-addr") == 0) {
        uint64_t at;
        int status = plan_check(argv + 2, 1, &at);
        if (status == 0)
            printf("0x%lx\n", (unsigned long)at);
        return status;
    }
    if (argc != 7) {
        fprintf(stderr, "usage: pack-check KERNEL ROOTTASK DTB|- RAM_MIB LOADER_START LOADER_END\n");
        return 2;
    }
    return plan_check(argv + 1, 0, NULL);
}
