#include "image.h"
#include "host_file.h"

#include "../../loader/common/linux_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (elf_validate_machine(&out->elf, m.data, m.size, img->machine, err) != 0) {
        if (img->payload_problem[0] == '\0')
            snprintf(img->payload_problem, sizeof img->payload_problem, "%s: %s", name, err);
        return;
    }
    emu_symbols_load(&out->syms, m.data, m.size);
    out->present = 1;
}

/* The root task of a stock elfloader archive: the first ELF member that is
 * neither the kernel nor the DTB nor a hash file. */
static void open_sel4_roottask(struct emu_image *img, const uint8_t *archive, uint64_t size)
{
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    for (unsigned i = 0; cpio_member_at(archive, size, i, &m, err) == 1; i++) {
        size_t n = strlen(m.name);
        if (strcmp(m.name, PAYLOAD_KERNEL) == 0 || strcmp(m.name, PAYLOAD_DTB) == 0 ||
            (n > 4 && strcmp(m.name + n - 4, ".bin") == 0) || m.size < 4 ||
            memcmp(m.data, "\177ELF", 4) != 0)
            continue;
        snprintf(img->roottask_member, sizeof img->roottask_member, "%s", m.name);
        open_member(img, archive, size, m.name, &img->roottask);
        return;
    }
    if (img->payload_problem[0] == '\0')
        snprintf(img->payload_problem, sizeof img->payload_problem,
                 "seL4 elfloader archive has no root task member (an ELF besides %s)",
                 PAYLOAD_KERNEL);
}

static void copy_dtb_member(struct emu_image *img, const uint8_t *archive, uint64_t size)
{
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    /* libfdt wants 8-byte alignment; CPIO aligns members to 4 only. */
    if (cpio_find(archive, size, PAYLOAD_DTB, &m, err) == 1 &&
        (img->dtb = malloc(m.size ? m.size : 1)) != NULL) {
        memcpy(img->dtb, m.data, m.size);
        img->dtb_size = m.size;
    }
}

static const uint8_t *archive_between(struct emu_image *img, const char *from, const char *to,
                                      uint64_t *size)
{
    uint64_t start, end;
    if (emu_symbol_value(&img->syms, from, &start, NULL) != 0 ||
        emu_symbol_value(&img->syms, to, &end, NULL) != 0 || end < start)
        return NULL;
    const uint8_t *archive = file_bytes_at(img, start, end - start);
    if (archive == NULL)
        snprintf(img->payload_problem, sizeof img->payload_problem,
                 "archive %s..%s [0x%lx..0x%lx) is not file-backed in the image", from, to,
                 (unsigned long)start, (unsigned long)end);
    *size = end - start;
    return archive;
}

/* A Linux payload (linux.Image, optional linux.initrd, linux.bootargs and
 * kernel.dtb): 1 if the archive is one. */
static int open_linux_payload(struct emu_image *img, const uint8_t *archive, uint64_t size)
{
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    if (cpio_find(archive, size, PAYLOAD_LINUX_IMAGE, &m, err) != 1)
        return 0;
    img->is_linux = 1;
    img->linux_image = m.data;
    img->linux_image_size = m.size;
    if (cpio_find(archive, size, PAYLOAD_LINUX_INITRD, &m, err) == 1) {
        img->linux_initrd = m.data;
        img->linux_initrd_size = m.size;
    }
    if (cpio_find(archive, size, PAYLOAD_LINUX_BOOTARGS, &m, err) == 1)
        img->linux_bootargs_size = m.size;
    copy_dtb_member(img, archive, size);
    return 1;
}

static void open_payload(struct emu_image *img)
{
    uint64_t size;
    const uint8_t *archive = archive_between(img, "_payload_start", "_payload_end", &size);
    if (archive != NULL) {
        img->has_payload = 1;
        img->format = EMU_PAYLOAD_PACK;
        if (open_linux_payload(img, archive, size))
            return;
        snprintf(img->roottask_member, sizeof img->roottask_member, "%s", PAYLOAD_ROOTTASK);
        open_member(img, archive, size, PAYLOAD_KERNEL, &img->kernel);
        open_member(img, archive, size, PAYLOAD_ROOTTASK, &img->roottask);
        copy_dtb_member(img, archive, size);
        struct cpio_member m;
        char err[CPIO_ERR_LEN];
        if (cpio_find(archive, size, PAYLOAD_HANDOFF_RECORD, &m, err) == 1) {
            img->has_handoff_record = 1;
            img->handoff_record_member_size = m.size;
            for (unsigned i = 0; i < HANDOFF_RECORD_MEMBER_SIZE && m.size == HANDOFF_RECORD_MEMBER_SIZE; i++)
                img->handoff_record_pa |= (uint64_t)m.data[i] << (8 * i);
        }
        return;
    }
    if (img->payload_problem[0] != '\0')
        return;
    archive = archive_between(img, "_archive_start", "_archive_start_end", &size);
    if (archive != NULL) {
        img->has_payload = 1;
        img->format = EMU_PAYLOAD_SEL4_ELFLOADER;
        open_member(img, archive, size, PAYLOAD_KERNEL, &img->kernel);
        open_sel4_roottask(img, archive, size);
        copy_dtb_member(img, archive, size);
        return;
    }
    if (img->payload_problem[0] == '\0')
        snprintf(img->payload_problem, sizeof img->payload_problem,
                 "no payload found: neither bootcheck's pack step's _payload_start/_payload_end nor seL4 elfloader's"
                 " _archive_start/_archive_start_end symbols; name the ELF files it carries with"
                 " KERNEL= and ROOTTASK= (emu-check --kernel/--roottask)");
}

const char *emu_payload_format_name(enum emu_payload_format f)
{
    switch (f) {
    case EMU_PAYLOAD_PACK: return "pack";
    case EMU_PAYLOAD_SEL4_ELFLOADER: return "sel4-elfloader";
    case EMU_PAYLOAD_FILES: return "files";
    case EMU_PAYLOAD_NONE: break;
    }
    return "none";
}

/* The first file bytes of the first loadable segment with any: what a loader
 * carrying this ELF, whole or as segments, must contain verbatim. */
static int elf_signature(const struct elf_image *e, const uint8_t **bytes, uint64_t *len)
{
    for (unsigned i = 0; i < e->nload; i++) {
        struct elf_segment s;
        elf_segment_get(e, i, &s);
        if (s.filesz > 0) {
            *bytes = e->data + s.offset;
            *len = s.filesz < 256 ? s.filesz : 256;
            return 0;
        }
    }
    return -1;
}

static int image_contains(const struct emu_image *img, const uint8_t *needle, uint64_t len)
{
    for (uint64_t off = 0; len <= img->size && off <= img->size - len; off++) {
        const uint8_t *p = memchr(img->file + off, needle[0], img->size - len - off + 1);
        if (p == NULL)
            return 0;
        off = (uint64_t)(p - img->file);
        if (memcmp(p, needle, len) == 0)
            return 1;
    }
    return 0;
}

/* Whether two ELF files load the same thing: the same entry and the same
 * loadable segments (addresses, sizes and file bytes). A stripped copy of an
 * ELF (seL4's stock elfloader packs its kernel and root task stripped) loads
 * exactly what the unstripped file does; only its symbols are gone. On a
 * difference, writes what differs into why and returns 0. */
static int same_loaded_bytes(const struct elf_image *a, const struct elf_image *b, char *why, size_t len)
{
    if (a->entry != b->entry) {
        snprintf(why, len, "entry 0x%lx, the image's 0x%lx", (unsigned long)a->entry, (unsigned long)b->entry);
        return 0;
    }
    if (a->nload != b->nload) {
        snprintf(why, len, "%u loadable segments, the image's %u", a->nload, b->nload);
        return 0;
    }
    for (unsigned i = 0; i < a->nload; i++) {
        struct elf_segment x, y;
        elf_segment_get(a, i, &x);
        elf_segment_get(b, i, &y);
        if (x.vaddr != y.vaddr || x.paddr != y.paddr || x.filesz != y.filesz || x.memsz != y.memsz) {
            snprintf(why, len, "loadable segment %u is vaddr 0x%lx paddr 0x%lx filesz 0x%lx memsz 0x%lx, the"
                     " image's vaddr 0x%lx paddr 0x%lx filesz 0x%lx memsz 0x%lx", i, (unsigned long)x.vaddr,
                     (unsigned long)x.paddr, (unsigned long)x.filesz, (unsigned long)x.memsz,
                     (unsigned long)y.vaddr, (unsigned long)y.paddr, (unsigned long)y.filesz,
                     (unsigned long)y.memsz);
            return 0;
        }
        const uint8_t *p = a->data + x.offset, *q = b->data + y.offset;
        if (memcmp(p, q, x.filesz) != 0) {
            uint64_t at = 0;
            while (p[at] == q[at])
                at++;
            snprintf(why, len, "loadable segment %u differs first at vaddr 0x%lx", i,
                     (unsigned long)(x.vaddr + at));
            return 0;
        }
    }
    return 1;
}

/* Replaces one payload ELF by the user's file, after checking it is the one
 * the image carries: the same file, or one that loads the same bytes (an
 * unstripped copy of a stripped member, whose symbols then serve). */
static int use_elf_file(struct emu_image *img, int slot, const char *path, const char *role,
                        struct emu_payload_elf *pe, char *err, size_t errlen)
{
    uint64_t size;
    uint8_t *data = host_file_read(path, "", &size, err, errlen);
    if (data == NULL)
        return -1;
    img->given[slot] = data;
    struct elf_image e;
    char why[ELF_ERR_LEN];
    if (elf_validate_machine(&e, data, size, img->machine, why) != 0) {
        snprintf(err, errlen, "%s '%s' is not a loadable ELF: %s", role, path, why);
        return -1;
    }
    if (pe->present) {
        char why[256];
        if ((pe->elf.size != size || memcmp(pe->elf.data, data, size) != 0) &&
            !same_loaded_bytes(&e, &pe->elf, why, sizeof why)) {
            snprintf(err, errlen,
                     "%s '%s' (%lu bytes) is not the %s inside the image (%s payload, %lu bytes): it"
                     " loads other bytes: %s", role, path, (unsigned long)size, role,
                     emu_payload_format_name(img->format), (unsigned long)pe->elf.size, why);
            return -1;
        }
        emu_symbols_free(&pe->syms);
    } else {
        const uint8_t *sig = NULL;
        uint64_t len = 0;
        if (elf_signature(&e, &sig, &len) != 0 || !image_contains(img, sig, len)) {
            snprintf(err, errlen,
                     "%s '%s' is not inside the image: the first %lu bytes of its first loadable"
                     " segment occur nowhere in it", role, path, (unsigned long)len);
            return -1;
        }
    }
    pe->elf = e;
    emu_symbols_load(&pe->syms, data, size);
    pe->present = 1;
    return 0;
}

int emu_image_use_files(struct emu_image *img, const char *kernel, const char *roottask,
                        const char *dtb, char *err, size_t errlen)
{
    if (kernel != NULL && use_elf_file(img, 0, kernel, "kernel", &img->kernel, err, errlen) != 0)
        return -1;
    if (roottask != NULL && use_elf_file(img, 1, roottask, "root task", &img->roottask, err, errlen) != 0)
        return -1;
    if (dtb != NULL) {
        uint64_t size;
        uint8_t *data = host_file_read(dtb, "", &size, err, errlen);
        if (data == NULL)
            return -1;
        free(img->dtb);
        img->dtb = data;
        img->dtb_size = size;
    }
    if (img->format == EMU_PAYLOAD_NONE && img->kernel.present && img->roottask.present) {
        img->format = EMU_PAYLOAD_FILES;
        img->has_payload = 1;
        img->payload_problem[0] = '\0';
    }
    return 0;
}

uint64_t emu_image_kernel_entry_pa(const struct emu_image *img)
{
    if (!img->kernel.present)
        return 0;
    const struct elf_image *k = &img->kernel.elf;
    for (unsigned i = 0; i < k->nload; i++) {
        struct elf_segment s;
        elf_segment_get(k, i, &s);
        if (k->entry >= s.vaddr && k->entry - s.vaddr < s.memsz)
            return k->entry - s.vaddr + s.paddr;
    }
    return 0;
}

int emu_image_open(struct emu_image *img, const char *path, char *err, size_t errlen)
{
    memset(img, 0, sizeof *img);
    img->file = host_file_read(path, "", &img->size, err, errlen);
    if (img->file == NULL)
        return -1;
    char why[ELF_ERR_LEN];
    /* The image's own e_machine picks the architecture (AArch64 or RISC-V);
     * the kernel and root task it carries must be of the same. */
    img->machine = ELF_EM_AARCH64;
    if (img->size >= 20 && memcmp(img->file, "\177ELF", 4) == 0 &&
        (img->file[18] | img->file[19] << 8) == ELF_EM_RISCV)
        img->machine = ELF_EM_RISCV;
    if (elf_validate_machine(&img->elf, img->file, img->size, img->machine, why) != 0) {
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
    free(img->given[0]);
    free(img->given[1]);
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
