/* emu-check: runs a loader image (as made by `make image`) on a Unicorn
 * model of QEMU virt until it branches to the kernel entry, then checks the
 * hand-off. Exit status: 0 all checks passed, 1 the run or a check failed,
 * 2 usage or set-up error.
 *
 * usage: emu-check IMAGE [--el 1|2] [--ram-mib N] [--budget N] [--json FILE]
 *                        [--qemu-dtb FILE] [--kernel ELF] [--roottask ELF] [--dtb FILE]
 *        emu-check IMAGE --start-state FILE [...]   (start from a captured state, see start_state.h)
 *        emu-check IMAGE --extract DIR [--kernel ELF] [--roottask ELF] [--dtb FILE]
 *
 * --extract writes the kernel.elf, roottask.elf and (if any) kernel.dtb the
 * payload finder found into DIR and exits without running anything.
 *
 * The kernel, root task and DTB come from the image's payload (our pack step's, or
 * seL4's stock elfloader archive) or from --kernel/--roottask/--dtb for any
 * other loader. The plan checks (PASS/FAIL lines) apply to images of our own
 * loader only; for every image the JSON report carries the observations that
 * bootcheck.check.contract judges against seL4's contract. */
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
#include "linux_mode.h"
#include "run.h"
#include "start_state.h"

#define DEFAULT_BUDGET 100000000ull
#define ERRLEN 1024
#define EMU_PATH_MAX 4096

struct options {
    const char *image, *json, *qemu_dtb, *kernel, *roottask, *dtb, *extract, *start_state;
    unsigned el;
    uint64_t ram_mib, budget;
};

static void usage(void)
{
    fprintf(stderr, "usage: emu-check IMAGE [--el 1|2] [--ram-mib N] [--budget N] [--json FILE]"
                    " [--qemu-dtb FILE] [--kernel ELF] [--roottask ELF] [--dtb FILE]"
                    " [--start-state FILE]\n"
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
        } else if (strcmp(a, "--kernel") == 0) {
            o->kernel = v;
        } else if (strcmp(a, "--roottask") == 0) {
            o->roottask = v;
        } else if (strcmp(a, "--dtb") == 0) {
            o->dtb = v;
        } else if (strcmp(a, "--start-state") == 0) {
            o->start_state = v;
        } else if (strcmp(a, "--extract") == 0) {
            o->extract = v;
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
static void poison_destinations(struct emu_machine *m, const struct emu_image *img,
                                const struct emu_expected *e, const struct emu_qemu_dtb *qdtb)
{
    /* A foreign loader chooses its own placement: only the kernel's is fixed. */
    if (img->format != EMU_PAYLOAD_PACK && img->kernel.present) {
        uint64_t start = img->kernel.elf.paddr_min, end = img->kernel.elf.paddr_max;
        if (qdtb->placed && start < qdtb->addr + qdtb->used && qdtb->addr < end)
            return;
        emu_ram_poison(m, start, end - start);
        return;
    }
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

static int write_file(const char *dir, const char *name, const void *data, uint64_t size)
{
    char path[EMU_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t n = fwrite(data, 1, size, f);
    return (fclose(f) == 0 && n == size) ? 0 : -1;
}

/* --extract: the payload finder's result as files, for the QEMU + GDB side. */
static int extract(const struct emu_image *img, const char *dir)
{
    if (!img->kernel.present || !img->roottask.present) {
        fprintf(stderr, "emu-check: payload: %s\n",
                img->payload_problem[0] ? img->payload_problem : "payload has no kernel or root task");
        return 2;
    }
    if (write_file(dir, PAYLOAD_KERNEL, img->kernel.elf.data, img->kernel.elf.size) != 0 ||
        write_file(dir, PAYLOAD_ROOTTASK, img->roottask.elf.data, img->roottask.elf.size) != 0 ||
        (img->dtb != NULL && write_file(dir, PAYLOAD_DTB, img->dtb, img->dtb_size) != 0)) {
        fprintf(stderr, "emu-check: cannot write the payload files into '%s'\n", dir);
        return 2;
    }
    printf("emu-check: payload %s: %s, %s%s%s\n", emu_payload_format_name(img->format), PAYLOAD_KERNEL,
           img->roottask_member[0] ? img->roottask_member : PAYLOAD_ROOTTASK,
           img->dtb ? ", " : "", img->dtb ? PAYLOAD_DTB : "");
    return 0;
}

/* The DTB in RAM at the start: the one a captured previous stage passed in
 * x0, else QEMU's (written at the start of RAM when QEMU would write it). */
static int prepare_dtb(struct emu_machine *m, const struct options *o, const struct emu_start_state *start,
                       const struct emu_image *img, struct emu_qemu_dtb *qdtb, char *err, size_t errlen)
{
    if (start != NULL && start->dtb_path[0] != '\0')
        return emu_x0_dtb_prepare(m, start->dtb_path, start->value[START_X0], qdtb, err, errlen);
    return emu_qemu_dtb_prepare(m, o->qemu_dtb, emu_image_lowest_paddr(img), qdtb, err, errlen);
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
    /* A RISC-V image runs on the riscv64 model (harness/emu/arch/riscv64),
     * built beside this program; --extract is the same for both. */
    if (img.machine == ELF_EM_RISCV && o.extract == NULL) {
        char self[EMU_PATH_MAX], rv[EMU_PATH_MAX + 32];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        snprintf(rv, sizeof rv, "%s/riscv64/emu-check", dirname(self));
        emu_image_close(&img);
        execv(rv, argv);
        return die("image", "a RISC-V image, and the riscv64 emu-check beside this one cannot be run"
                            " (make emu builds it)");
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
    struct emu_start_state start;
    if (o.start_state != NULL) {
        if (emu_start_state_read(o.start_state, &start, err, sizeof err) != 0)
            return die("start state", err);
        o.el = start.el;
    }
    struct emu_machine m;
    struct emu_qemu_dtb qdtb;
    if (emu_machine_create(&m, o.ram_mib << 20, err, sizeof err) != 0 ||
        emu_image_load(&img, &m, err, sizeof err) != 0 ||
        prepare_dtb(&m, &o, o.start_state != NULL ? &start : NULL, &img, &qdtb, err, sizeof err) != 0 ||
        emu_machine_alias_ram(&m, kernel_va_offset(&img), err, sizeof err) != 0 ||
        emu_machine_reset(&m, o.el, img.elf.entry, err, sizeof err) != 0)
        return die("machine", err);
    if (o.start_state != NULL && emu_start_state_apply(&m, &start, err, sizeof err) != 0)
        return die("start state", err);
    if (img.is_linux) {   /* the Linux payload kind: its own checks (linux_mode.h) */
        struct emu_linux_options lo = { o.image, o.json, o.el, o.ram_mib, o.budget };
        int r = emu_linux_check(&m, &img, &qdtb, &lo);
        emu_qemu_dtb_free(&qdtb);
        emu_machine_destroy(&m);
        emu_image_close(&img);
        return r;
    }

    struct emu_expected exp;
    if (img.format == EMU_PAYLOAD_PACK) {
        emu_expected_compute(&img, &m, &qdtb, &exp);
    } else {
        memset(&exp, 0, sizeof exp);
        snprintf(exp.problem, sizeof exp.problem,
                 "not an image of bootcheck's loader (payload: %s), so there is no placement plan"
                 " to compare with; seL4's contract judges it (bootcheck check)",
                 emu_payload_format_name(img.format));
    }
    emu_qemu_dtb_write(&m, &qdtb);
    poison_destinations(&m, &img, &exp, &qdtb);

    struct emu_run run;
    struct emu_run_config cfg = { .budget = o.budget,
                                  .kernel_entry = img.kernel.present ? img.kernel.elf.entry : 0,
                                  .kernel_entry_pa = emu_image_kernel_entry_pa(&img) };
    emu_run(&m, &img, &cfg, &run);

    struct emu_ctx ctx = { .img = &img, .m = &m, .run = &run, .exp = &exp };
    emu_read_entry_state(&m, &ctx.entry);
    struct emu_check checks[EMU_NCHECKS];
    emu_run_checks(&ctx, checks);

    struct emu_report rep = {
        .image = o.image, .el = o.el, .ram_mib = o.ram_mib, .budget = o.budget, .m = &m,
        .run = &run, .exp = &exp, .entry = run.outcome == EMU_REACHED_KERNEL ? &ctx.entry : NULL,
        .checks = checks, .ctx = &ctx, .started_from = o.start_state,
    };
    emu_report_text(stdout, &rep);
    int status = run.outcome == EMU_REACHED_KERNEL ? 0 : 1;
    for (int i = 0; i < EMU_NCHECKS; i++)
        if (checks[i].status != EMU_CHECK_PASS && img.format == EMU_PAYLOAD_PACK)
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
