/* emu-check: runs a loader image (as made by `make image`) on a Unicorn
 * model of QEMU virt until it branches to the kernel entry, then checks the
 * hand-off. Exit status: 0 all checks passed, 1 the run or a check failed,
 * 2 usage or set-up error.
 *
 * usage: emu-check IMAGE [--el 1|2] [--ram-mib N] [--budget N] [--json FILE]
 *                        [--qemu-dtb FILE] */
#define _POSIX_C_SOURCE 200809L   /* readlink */

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "expected.h"
#include "image.h"
#include "machine.h"
#include "qemu_dtb.h"
#include "report.h"
#include "run.h"

#define DEFAULT_BUDGET 100000000ull
#define ERRLEN 256
#define EMU_PATH_MAX 4096

struct options {
    const char *image, *json, *qemu_dtb;
    unsigned el;
    uint64_t ram_mib, budget;
};

static void usage(void)
{
    fprintf(stderr, "usage: emu-check IMAGE [--el 1|2] [--ram-mib N] [--budget N] [--json FILE]"
                    " [--qemu-dtb FILE]\n");
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
    *o = (struct options){ .el = 1, .ram_mib = 1024, .budget = DEFAULT_BUDGET };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (o->image != NULL)
                usage();
            o->image = a;
            continue;
        }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(a, "--el") == 0) {
            o->el = (unsigned)number(a, v);
            if (o->el != 1 && o->el != 2)
                usage();
        } else if (strcmp(a, "--ram-mib") == 0) {
            o->ram_mib = number(a, v);
        } else if (strcmp(a, "--budget") == 0) {
            o->budget = number(a, v);
        } else if (strcmp(a, "--json") == 0) {
            o->json = v;
        } else if (strcmp(a, "--qemu-dtb") == 0) {
            o->qemu_dtb = v;
        } else {
            usage();
        }
    }
    if (o->image == NULL)
        usage();
}

/* QEMU's dumped DTBs live beside this executable (see emu.mk). */
static const char *default_qemu_dtb(unsigned el, char *buf, size_t len)
{
    char self[EMU_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        n = 0;
    self[n] = '\0';
    snprintf(buf, len, "%s/qemu-virt-el%u.dtb", dirname(self), el);
    return buf;
}

/* The kernel's VA window must be known to Unicorn before the jump. */
static uint64_t kernel_va_offset(const struct emu_image *img)
{
    if (!img->kernel.present)
        return 0;
    struct elf_segment s;
    elf_segment_get(&img->kernel.elf, 0, &s);
    return s.vaddr - s.paddr;
}

/* Where the loader must write every byte itself starts as garbage, except
 * the part of QEMU's DTB that holds data (the loader reads it first). */
static void poison_destinations(struct emu_machine *m, const struct emu_expected *e,
                                const struct emu_qemu_dtb *qdtb)
{
    if (!e->ok)
        return;
    uint64_t keep_start = qdtb->placed ? qdtb->addr : 0;
    uint64_t keep_end = qdtb->placed ? qdtb->addr + qdtb->used : 0;
    const struct mem_range r[3] = { e->plan.kernel_phys, e->plan.dtb_phys, e->plan.user_phys };
    for (int i = 0; i < 3; i++) {
        uint64_t start = r[i].start, end = r[i].end;
        if (start >= keep_start && start < keep_end)
            start = keep_end;
        if (end > start)
            emu_ram_poison(m, start, end - start);
    }
}

static int die(const char *what, const char *err)
{
    fprintf(stderr, "emu-check: %s: %s\n", what, err);
    return 2;
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    char err[ERRLEN], dtb_path[EMU_PATH_MAX + 32];
    if (o.qemu_dtb == NULL)
        o.qemu_dtb = default_qemu_dtb(o.el, dtb_path, sizeof dtb_path);

    struct emu_image img;
    if (emu_image_open(&img, o.image, err, sizeof err) != 0)
        return die("image", err);
    struct emu_machine m;
    struct emu_qemu_dtb qdtb;
    if (emu_machine_create(&m, o.ram_mib << 20, err, sizeof err) != 0 ||
        emu_image_load(&img, &m, err, sizeof err) != 0 ||
        emu_qemu_dtb_prepare(&m, o.qemu_dtb, emu_image_lowest_paddr(&img), &qdtb, err, sizeof err) != 0 ||
        emu_machine_alias_ram(&m, kernel_va_offset(&img), err, sizeof err) != 0 ||
        emu_machine_reset(&m, o.el, img.elf.entry, err, sizeof err) != 0)
        return die("machine", err);

    struct emu_expected exp;
    emu_expected_compute(&img, &m, &qdtb, &exp);
    emu_qemu_dtb_write(&m, &qdtb);
    poison_destinations(&m, &exp, &qdtb);

    struct emu_run run;
    struct emu_run_config cfg = { .budget = o.budget,
                                  .kernel_entry = img.kernel.present ? img.kernel.elf.entry : 0 };
    emu_run(&m, &img, &cfg, &run);

    struct emu_ctx ctx = { .img = &img, .m = &m, .run = &run, .exp = &exp };
    emu_read_entry_state(&m, &ctx.entry);
    struct emu_check checks[EMU_NCHECKS];
    emu_run_checks(&ctx, checks);

    struct emu_report rep = {
        .image = o.image, .el = o.el, .ram_mib = o.ram_mib, .budget = o.budget, .m = &m,
        .run = &run, .exp = &exp, .entry = run.outcome == EMU_REACHED_KERNEL ? &ctx.entry : NULL,
        .checks = checks,
    };
    emu_report_text(stdout, &rep);
    int status = run.outcome == EMU_REACHED_KERNEL ? 0 : 1;
    for (int i = 0; i < EMU_NCHECKS; i++)
        if (checks[i].status != EMU_CHECK_PASS)
            status = 1;
    if (o.json != NULL && emu_report_json(o.json, &rep) != 0)
        status = die("json", "cannot write the report");

    emu_checks_free(checks);
    emu_run_free(&run);
    emu_qemu_dtb_free(&qdtb);
    emu_machine_destroy(&m);
    emu_image_close(&img);
    return status;
}
