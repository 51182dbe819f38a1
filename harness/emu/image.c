#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_whole_file(const char *path, uint64_t *size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf == NULL || n < 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, errlen, "cannot read '%s'", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = (uint64_t)n;
    return buf;
}

/* File bytes behind a virtual address of the image, via its segments. */
static const uint8_t *file_bytes_at(const struct emu_image *img, uint64_t vaddr, uint64_t len)
{
    for (unsigned i = 0; i < img->elf.nload; i++) {
        struct elf_segment s;
        elf_segment_get(&img->elf, i, &s);
        if (vaddr >= s.vaddr && vaddr - s.vaddr <= s.filesz && len <= s.filesz - (vaddr - s.vaddr))
            return img->file + s.offset + (vaddr - s.vaddr);
    }
    return NULL;
}

static void open_member(struct emu_image *img, const uint8_t *archive, uint64_t size,
                        const char *name, struct emu_payload_elf *out)
{
    struct cpio_member m;
    char err[CPIO_ERR_LEN > ELF_ERR_LEN ? CPIO_ERR_LEN : ELF_ERR_LEN];
    int r = cpio_find(archive, size, name, &m, err);
    if (r != 1) {
        if (img->payload_problem[0] == '\0')
            snprintf(img->payload_problem, sizeof img->payload_problem, "%s",
                     r < 0 ? err : "payload has no member for the kernel or root task");
        return;
    }
    if (elf_validate(&out->elf, m.data, m.size, err) != 0) {
        if (img->payload_problem[0] == '\0')
            snprintf(img->payload_problem, sizeof img->payload_problem, "%s: %s", name, err);
        return;
    }
    emu_symbols_load(&out->syms, m.data, m.size);
    out->present = 1;
}

static void open_payload(struct emu_image *img)
{
    uint64_t start, end;
    if (emu_symbol_value(&img->syms, "_payload_start", &start, NULL) != 0 ||
        emu_symbol_value(&img->syms, "_payload_end", &end, NULL) != 0 || end < start) {
        snprintf(img->payload_problem, sizeof img->payload_problem,
                 "image has no _payload_start/_payload_end symbols (not made by pack.sh)");
        return;
    }
    const uint8_t *archive = file_bytes_at(img, start, end - start);
    if (archive == NULL) {
        snprintf(img->payload_problem, sizeof img->payload_problem,
                 "payload [0x%lx..0x%lx) is not file-backed in the image",
                 (unsigned long)start, (unsigned long)end);
        return;
    }
    img->has_payload = 1;
    open_member(img, archive, end - start, PAYLOAD_KERNEL, &img->kernel);
    open_member(img, archive, end - start, PAYLOAD_ROOTTASK, &img->roottask);
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    /* libfdt wants 8-byte alignment; CPIO aligns members to 4 only. */
    if (cpio_find(archive, end - start, PAYLOAD_DTB, &m, err) == 1 &&
        (img->dtb = malloc(m.size ? m.size : 1)) != NULL) {
        memcpy(img->dtb, m.data, m.size);
        img->dtb_size = m.size;
    }
    if (cpio_find(archive, end - start, PAYLOAD_HANDOFF_RECORD, &m, err) == 1) {
        img->has_handoff_record = 1;
        img->handoff_record_member_size = m.size;
        for (unsigned i = 0; i < HANDOFF_RECORD_MEMBER_SIZE && m.size == HANDOFF_RECORD_MEMBER_SIZE; i++)
            img->handoff_record_pa |= (uint64_t)m.data[i] << (8 * i);
    }
}

int emu_image_open(struct emu_image *img, const char *path, char *err, size_t errlen)
{
    memset(img, 0, sizeof *img);
    img->file = read_whole_file(path, &img->size, err, errlen);
    if (img->file == NULL)
        return -1;
    char why[ELF_ERR_LEN];
    if (elf_validate(&img->elf, img->file, img->size, why) != 0) {
        snprintf(err, errlen, "'%s' is not a loadable image: %s", path, why);
        return -1;
    }
    emu_symbols_load(&img->syms, img->file, img->size);
    open_payload(img);
    return 0;
}

void emu_image_close(struct emu_image *img)
{
    emu_symbols_free(&img->kernel.syms);
    emu_symbols_free(&img->roottask.syms);
    emu_symbols_free(&img->syms);
    free(img->dtb);
    free(img->file);
    memset(img, 0, sizeof *img);
}

uint64_t emu_image_lowest_paddr(const struct emu_image *img)
{
    return img->elf.paddr_min;
}

int emu_image_load(const struct emu_image *img, struct emu_machine *m, char *err, size_t errlen)
{
    for (unsigned i = 0; i < img->elf.nload; i++) {
        struct elf_segment s;
        elf_segment_get(&img->elf, i, &s);
        uint8_t *dst = emu_ram_at(m, s.paddr, s.memsz);
        if (dst == NULL) {
            snprintf(err, errlen, "image segment paddr [0x%lx..0x%lx) is outside RAM [0x%lx..0x%lx)",
                     (unsigned long)s.paddr, (unsigned long)(s.paddr + s.memsz),
                     (unsigned long)m->ram_base, (unsigned long)(m->ram_base + m->ram_size));
            return -1;
        }
        memcpy(dst, img->file + s.offset, s.filesz);
        memset(dst + s.filesz, 0, s.memsz - s.filesz);
    }
    return 0;
}

int emu_loader_symbol(const struct emu_image *img, const char *name, uint64_t *value)
{
    return emu_symbol_value(&img->syms, name, value, NULL);
}
