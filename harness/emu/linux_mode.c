#include "linux_mode.h"

#include <stdio.h>
#include <string.h>

#include "../../loader/common/dtb_parse.h"
#include "../../loader/common/linux_image.h"
#include "checks.h"
#include "json.h"
#include "run.h"

#define DTB_HEADER_BYTES 64u

/* linux_images: the Image at its entry and the initrd where the plan puts
 * them, byte for byte; the first difference is named. */
static void check_linux_images(const struct emu_ctx *x, const struct linux_plan *p, struct emu_check *c)
{
    struct { const char *what; uint64_t at; const uint8_t *want; uint64_t size; } items[] = {
        { "Image", p->entry, x->img->linux_image, x->img->linux_image_size },
        { "initrd", p->initrd.start, x->img->linux_initrd, x->img->linux_initrd_size },
    };
    for (unsigned i = 0; i < 2; i++) {
        if (items[i].want == NULL)
            continue;
        const uint8_t *got = emu_ram_at(x->m, items[i].at, items[i].size);
        if (got == NULL) {
            c->status = EMU_CHECK_FAIL;
            sb_printf(&c->message, "%s [0x%lx..0x%lx) is not in RAM\n", items[i].what,
                      (unsigned long)items[i].at, (unsigned long)(items[i].at + items[i].size));
            continue;
        }
        uint64_t off = 0;
        while (off < items[i].size && got[off] == items[i].want[off])
            off++;
        if (off < items[i].size) {
            c->status = EMU_CHECK_FAIL;
            sb_printf(&c->message, "%s at 0x%lx differs from the payload's at offset 0x%lx (0x%02x, not 0x%02x)\n",
                      items[i].what, (unsigned long)items[i].at, (unsigned long)off, got[off], items[i].want[off]);
        } else {
            sb_printf(&c->message, "%s%s [0x%lx..0x%lx) byte-identical to the payload's", i ? "; " : "",
                      items[i].what, (unsigned long)items[i].at, (unsigned long)(items[i].at + items[i].size));
        }
    }
}

/* The DTB at x0 as the kernel would find it: its totalsize, or only the
 * header of one claiming more than 2 MiB (the contract names the size). */
static void json_dtb_at(FILE *f, struct emu_machine *m, uint64_t x0)
{
    const uint8_t *head = emu_ram_at(m, x0, DTB_HEADER_BYTES);
    if (head == NULL || !(head[0] == 0xd0 && head[1] == 0x0d && head[2] == 0xfe && head[3] == 0xed)) {
        fputs("null", f);
        return;
    }
    uint64_t size = (uint64_t)head[4] << 24 | head[5] << 16 | head[6] << 8 | head[7];
    if (size > LINUX_DTB_MAX || emu_ram_at(m, x0, size) == NULL)
        size = DTB_HEADER_BYTES;
    const uint8_t *b = emu_ram_at(m, x0, size);
    fputc('"', f);
    for (uint64_t i = 0; i < size; i++)
        fprintf(f, "%02x", b[i]);
    fputc('"', f);
}

static const char *status_word(enum emu_check_status s)
{
    return s == EMU_CHECK_PASS ? "pass" : s == EMU_CHECK_FAIL ? "fail" : "not_run";
}

static int write_json(const struct emu_linux_options *o, const struct emu_ctx *x, const struct linux_plan *p,
                      uint64_t entry, const char *problem, struct emu_check *checks, unsigned nchecks)
{
    FILE *f = fopen(o->json_path, "w");
    if (f == NULL)
        return -1;
    fputs("{\n  \"kind\": \"linux\",\n  \"image\": ", f);
    json_cstr(f, o->image_path);
    fprintf(f, ",\n  \"el\": %u,\n  \"outcome\": \"%s\",\n  \"message\": ", o->el,
            emu_outcome_name(x->run->outcome));
    json_cstr(f, x->run->message);
    fprintf(f, ",\n  \"instructions\": %lu,\n  \"problem\": ", (unsigned long)x->run->instructions);
    json_cstr(f, problem);
    fprintf(f, ",\n  \"plan\": {\"entry\": %lu, \"dtb\": %lu, \"initrd\": [%lu, %lu]}",
            (unsigned long)p->entry, (unsigned long)p->dtb.start, (unsigned long)p->initrd.start,
            (unsigned long)p->initrd.end);
    fputs(",\n  \"uart\": ", f);
    json_string(f, x->m->uart ? x->m->uart : "", x->m->uart_len);
    if (x->run->outcome == EMU_REACHED_KERNEL) {
        const struct emu_entry_state *e = &x->entry;
        fprintf(f, ",\n  \"entry_state\": {\"x\": [%lu, %lu, %lu, %lu], \"pc\": %lu, \"pstate\": %lu,"
                   " \"el\": %u, \"sctlr\": %lu},\n  \"dtb_hex\": ",
                (unsigned long)e->x[0], (unsigned long)e->x[1], (unsigned long)e->x[2],
                (unsigned long)e->x[3], (unsigned long)entry, (unsigned long)e->pstate, e->el,
                (unsigned long)e->sctlr);
        json_dtb_at(f, x->m, e->x[0]);
    }
    fputs(",\n  \"checks\": [", f);
    for (unsigned i = 0; i < nchecks; i++) {
        fprintf(f, "%s\n    {\"name\": \"%s\", \"status\": \"%s\", \"message\": ", i ? "," : "", checks[i].name,
                status_word(checks[i].status));
        json_cstr(f, sb_str(&checks[i].message));
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

int emu_linux_check(struct emu_machine *m, const struct emu_image *img, const struct emu_qemu_dtb *qdtb,
                    const struct emu_linux_options *o)
{
    char problem[LINUX_ERR_LEN] = "";
    struct linux_header h;
    struct linux_plan plan;
    memset(&plan, 0, sizeof plan);
    struct emu_expected exp;
    memset(&exp, 0, sizeof exp);
    uint64_t loader_start = 0, loader_end = 0, dtb_size = 0;
    if (img->dtb != NULL)
        dtb_size = dtb_handover_size(img->dtb);
    else if (qdtb->placed)
        dtb_size = qdtb->packed_size;
    struct mem_range ram = { m->ram_base, m->ram_base + m->ram_size };
    if (linux_header_read(img->linux_image, img->linux_image_size, &h, problem) == 0 &&
        emu_loader_symbol(img, "__loader_start", &loader_start) == 0 &&
        emu_loader_symbol(img, "__loader_end", &loader_end) == 0 &&
        linux_plan_boot(&h, dtb_size + LINUX_CHOSEN_ROOM + img->linux_bootargs_size, img->linux_initrd_size,
                        &ram, 1, (struct mem_range){ loader_start, loader_end }, &plan, problem) == 0) {
        emu_expected_linux_writes(&exp, img, qdtb, &plan);
        exp.ok = 1;
        emu_ram_poison(m, plan.image.start, plan.image.end - plan.image.start);
        emu_ram_poison(m, plan.dtb.start, plan.dtb.end - plan.dtb.start);
        emu_ram_poison(m, plan.initrd.start, plan.initrd.end - plan.initrd.start);
    }
    emu_qemu_dtb_write(m, qdtb);

    /* Run to the loader's last instruction (`br x9` at linux_jump) rather
     * than to the planned entry: a loader that enters the Image elsewhere is
     * then judged where it did, not run on into Linux. */
    uint64_t jump = plan.entry, target = plan.entry;
    int at_jump = emu_loader_symbol(img, "linux_jump", &jump) == 0;
    struct emu_run run;
    /* Only check_writes reads the stores here, and only whether each lies in
     * the allowed-write map: inside it they are coalesced (the Image's copy
     * alone is four million stores). */
    struct emu_run_config cfg = { .budget = o->budget, .kernel_entry = jump, .kernel_entry_pa = jump,
                                  .coalesce = exp.ok ? exp.allowed : NULL, .ncoalesce = exp.ok ? exp.nallowed : 0 };
    emu_run(m, img, &cfg, &run);
    if (run.outcome == EMU_REACHED_KERNEL && at_jump) {
        target = emu_reg(m, UC_ARM64_REG_X9);
        uc_reg_write(m->uc, UC_ARM64_REG_PC, &target);
        snprintf(run.message, sizeof run.message, "the loader branched to the Image at 0x%lx after %lu"
                 " instructions", (unsigned long)target, (unsigned long)run.instructions);
    }
    struct emu_ctx ctx = { .img = img, .m = m, .run = &run, .exp = &exp };
    emu_read_entry_state(m, &ctx.entry);

    struct emu_check checks[2] = { { .name = "linux_images" }, { .name = "writes" } };
    for (unsigned i = 0; i < 2; i++) {
        checks[i].status = EMU_CHECK_PASS;
        if (!exp.ok || run.outcome != EMU_REACHED_KERNEL) {
            checks[i].status = EMU_CHECK_NOT_RUN;
            sb_printf(&checks[i].message, "%s", exp.ok ? "the Image was never entered" : problem);
        }
    }
    if (checks[0].status == EMU_CHECK_PASS)
        check_linux_images(&ctx, &plan, &checks[0]);
    if (checks[1].status == EMU_CHECK_PASS)
        check_writes(&ctx, &checks[1]);

    printf("emu-check: %s at EL%u, %lu MiB RAM; payload: Linux Image\n", o->image_path, o->el,
           (unsigned long)o->ram_mib);
    printf("emu-check: %s\n", run.message);
    int status = run.outcome == EMU_REACHED_KERNEL ? 0 : 1;
    for (unsigned i = 0; i < 2; i++) {
        const char *msg = sb_str(&checks[i].message);
        int len = (int)strlen(msg);
        while (len > 0 && msg[len - 1] == '\n')
            len--;
        printf("%-7s %-18s %.*s\n", checks[i].status == EMU_CHECK_PASS ? "PASS" :
               checks[i].status == EMU_CHECK_FAIL ? "FAIL" : "NOT RUN", checks[i].name, len, msg);
        if (checks[i].status != EMU_CHECK_PASS)
            status = 1;
    }
    if (o->json_path != NULL && write_json(o, &ctx, &plan, target, problem, checks, 2) != 0) {
        fprintf(stderr, "emu-check: json: cannot write the report\n");
        status = 2;
    }
    for (unsigned i = 0; i < 2; i++)
        sb_free(&checks[i].message);
    emu_run_free(&run);
    return status;
}
