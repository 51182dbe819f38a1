/* emu-check for riscv64 images (the AArch64 emu-check hands RISC-V images
 * over to this program, built beside it as riscv64/emu-check). Exit status:
 * 0 the loader reached the kernel and every check holds, 1 the run or a check
 * failed, 2 usage or set-up error.
 *
 * usage: emu-check IMAGE [--ram-mib N] [--budget N] [--json FILE] [--qemu-dtb FILE]
 *                        [--kernel ELF] [--roottask ELF] [--dtb FILE] [--el N (ignored)]
 *                        [--phases main=SYM;PHASE=SYM,SYM;...]
 *        emu-check IMAGE --extract DIR [--kernel ELF] [--roottask ELF] [--dtb FILE]
 *
 * The DTB OpenSBI hands the loader in a1 is QEMU's for the machine (dumped by
 * emu.mk; --qemu-dtb for another -smp), where QEMU 7.2 puts it: the last
 * 2 MiB-aligned slot below min(end of RAM, 3 GiB). The number of harts is the
 * number of /cpus/cpu@ nodes in it. --phases splits the boot hart's
 * instructions by the loader's functions (rv_phases.c; the JSON's "phases"). */
#define _POSIX_C_SOURCE 200809L

#include <libfdt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rv.h"
#include "../../host_file.h"

#define ERRLEN 1024
#define PATHLEN 4096
#define MIB (UINT64_C(1) << 20)
#define POISON_SPAN (64 * MIB)   /* poisoned from the kernel's load address up */

struct options {
    const char *image, *json, *qemu_dtb, *kernel, *roottask, *dtb, *extract, *phases;
    uint64_t ram_mib, budget;
};

static void usage(void)
{
    fprintf(stderr, "usage: emu-check IMAGE [--ram-mib N] [--budget N] [--json FILE] [--qemu-dtb FILE]"
                    " [--kernel ELF] [--roottask ELF] [--dtb FILE] [--phases SPEC]\n"
                    "       emu-check IMAGE --extract DIR [--kernel ELF] [--roottask ELF] [--dtb FILE]\n");
    exit(2);
}

static uint64_t number(const char *opt, const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*s == '\0' || *end != '\0' || v == 0) {
        fprintf(stderr, "emu-check: %s wants a positive number, not '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .ram_mib = 3072, .budget = 100000000ull };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (o->image != NULL)
                usage();
            o->image = a;
            continue;
        }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(a, "--ram-mib") == 0) o->ram_mib = number(a, v);
        else if (strcmp(a, "--budget") == 0) o->budget = number(a, v);
        else if (strcmp(a, "--json") == 0) o->json = v;
        else if (strcmp(a, "--qemu-dtb") == 0) o->qemu_dtb = v;
        else if (strcmp(a, "--kernel") == 0) o->kernel = v;
        else if (strcmp(a, "--roottask") == 0) o->roottask = v;
        else if (strcmp(a, "--dtb") == 0) o->dtb = v;
        else if (strcmp(a, "--extract") == 0) o->extract = v;
        else if (strcmp(a, "--phases") == 0) o->phases = v;
        else if (strcmp(a, "--el") == 0) (void)v;   /* AArch64's; RISC-V loaders start in S-mode */
        else usage();
    }
    if (o->image == NULL)
        usage();
}

static int die(const char *what, const char *err)
{
    fprintf(stderr, "emu-check: %s: %s\n", what, err);
    return 2;
}

static unsigned count_harts(const void *fdt)
{
    int cpus = fdt_path_offset(fdt, "/cpus"), node;
    unsigned n = 0;
    if (cpus < 0)
        return 1;
    fdt_for_each_subnode(node, fdt, cpus) {
        const char *name = fdt_get_name(fdt, node, NULL);
        if (name != NULL && strncmp(name, "cpu@", 4) == 0)
            n++;
    }
    return n ? n : 1;
}

/* QEMU 7.2 riscv_load_fdt: below min(RAM end, 3 GiB), 2 MiB-aligned. */
static uint64_t qemu_fdt_addr(const struct emu_machine *m, uint64_t size)
{
    uint64_t end = m->ram_base + m->ram_size, limit = UINT64_C(3072) * MIB;
    uint64_t top = m->ram_base < limit && end > limit ? limit : end;
    return (top - size) & ~(2 * MIB - 1);
}

static void poison(struct emu_machine *m, const struct emu_image *img)
{
    if (!img->kernel.present)
        return;
    uint64_t start = img->kernel.elf.paddr_min, end = start + POISON_SPAN;
    if (end > m->ram_base + m->ram_size)
        end = m->ram_base + m->ram_size;
    if (start >= m->ram_base && start < end)
        emu_ram_poison(m, start, end - start);
}

static int extract(const struct emu_image *img, const char *dir)
{
    if (!img->kernel.present || !img->roottask.present) {
        fprintf(stderr, "emu-check: payload: %s\n",
                img->payload_problem[0] ? img->payload_problem : "payload has no kernel or root task");
        return 2;
    }
    const struct { const char *name; const void *data; uint64_t size; } out[3] = {
        { "kernel.elf", img->kernel.elf.data, img->kernel.elf.size },
        { "roottask.elf", img->roottask.elf.data, img->roottask.elf.size },
        { "kernel.dtb", img->dtb, img->dtb_size },
    };
    for (int i = 0; i < 3; i++) {
        if (out[i].data == NULL)
            continue;
        char path[PATHLEN];
        snprintf(path, sizeof path, "%s/%s", dir, out[i].name);
        FILE *f = fopen(path, "wb");
        if (f == NULL || fwrite(out[i].data, 1, out[i].size, f) != out[i].size || fclose(f) != 0) {
            fprintf(stderr, "emu-check: cannot write the payload files into '%s'\n", dir);
            return 2;
        }
    }
    printf("emu-check: payload %s: kernel.elf, %s%s\n", emu_payload_format_name(img->format),
           img->roottask_member[0] ? img->roottask_member : "roottask.elf", img->dtb ? ", kernel.dtb" : "");
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    char err[ERRLEN], dtb_default[PATHLEN + 32];
    if (o.qemu_dtb == NULL) {
        char self[PATHLEN];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        snprintf(dtb_default, sizeof dtb_default, "%s/qemu-virt.dtb", dirname(self));
        o.qemu_dtb = dtb_default;
    }
    struct emu_image img;
    if (emu_image_open(&img, o.image, err, sizeof err) != 0)
        return die("image", err);
    if (img.machine != ELF_EM_RISCV) {
        emu_image_close(&img);
        return die("image", "not a RISC-V (EM_RISCV) image: use the AArch64 emu-check");
    }
    if (emu_image_use_files(&img, o.kernel, o.roottask, o.dtb, err, sizeof err) != 0) {
        emu_image_close(&img);
        return die("payload", err);
    }
    if (o.extract != NULL) {
        int r = extract(&img, o.extract);
        emu_image_close(&img);
        return r;
    }
    uint64_t fdt_size = 0;
    char why[ERRLEN];
    void *fdt = host_file_read(o.qemu_dtb, "QEMU's riscv64 virt DTB ", &fdt_size, why, sizeof why);
    if (fdt == NULL) {
        snprintf(err, sizeof err, "%.900s (make emu dumps it)", why);
        return die("machine", err);
    }
    if (fdt_size < 40 || fdt_check_header(fdt) != 0 || fdt_totalsize(fdt) > fdt_size) {
        snprintf(err, sizeof err, "QEMU's riscv64 virt DTB '%.900s' is not a valid DTB (make emu dumps it)",
                 o.qemu_dtb);
        return die("machine", err);
    }

    struct emu_machine m;
    static struct rv_run run;
    run.budget = o.budget;
    if (o.phases != NULL && rv_phases_parse(&run.phases, o.phases, &img.syms, err, sizeof err) != 0)
        return die("phases", err);
    run.nharts = count_harts(fdt);
    if (run.nharts > RV_MAX_HARTS)
        run.nharts = RV_MAX_HARTS;
    run.kernel_entry = img.kernel.present ? img.kernel.elf.entry : 0;
    run.kernel_entry_pa = emu_image_kernel_entry_pa(&img);
    uint64_t va_offset = 0;
    if (img.kernel.present) {
        struct elf_segment s;
        elf_segment_get(&img.kernel.elf, 0, &s);
        va_offset = s.vaddr - s.paddr;
    }
    if (rv_machine_create(&m, o.ram_mib * MIB, err, sizeof err) != 0)
        return die("machine", err);
    poison(&m, &img);
    uint64_t dtb_in = qemu_fdt_addr(&m, fdt_totalsize(fdt));
    uint8_t *dst = emu_ram_at(&m, dtb_in, fdt_totalsize(fdt));
    if (dst == NULL)
        return die("machine", "QEMU's DTB does not fit in RAM");
    memcpy(dst, fdt, fdt_totalsize(fdt));
    free(fdt);
    if (emu_image_load(&img, &m, err, sizeof err) != 0 ||
        rv_machine_alias(&m, va_offset, err, sizeof err) != 0 ||
        rv_machine_enter_smode(&m, img.elf.entry, run.boot_hart, dtb_in, err, sizeof err) != 0)
        return die("machine", err);

    rv_run(&m, &img, &run);
    struct rv_ctx ctx = { .img = &img, .m = &m, .run = &run, .dtb_in = dtb_in,
                          .e = run.outcome == RV_REACHED_KERNEL ? &run.harts[run.boot_hart].at_entry : NULL };
    struct rv_check checks[RV_NCHECKS];
    rv_run_checks(&ctx, checks);
    rv_report_text(stdout, &ctx, checks);
    int status = run.outcome == RV_REACHED_KERNEL ? 0 : 1;
    for (int i = 0; i < RV_NCHECKS; i++)
        if (checks[i].status == RV_FAIL)
            status = 1;
    if (o.json != NULL && rv_report_json(o.json, o.image, &ctx, checks) != 0)
        status = die("json", "cannot write the report");
    rv_checks_free(checks);
    rv_run_free(&run);
    emu_machine_destroy(&m);
    emu_image_close(&img);
    return status;
}
