/* Guest RAM and console helpers of the model (machine.h) that do not depend
 * on the CPU architecture: shared by the AArch64 and the riscv64 emu-check. */
#define _GNU_SOURCE            /* memfd_create */
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Guest RAM is backed by transparent huge pages where the host has them: a
 * loader writes a few MiB (a Linux Image 32 MiB), and a fault costs the same
 * for 2 MiB as for 4 KiB (about 17 us on a paravirtualised host; 4 KiB pages
 * cost a Linux-payload run 8,000 faults). Poison is then written, which costs
 * a few huge-page faults. Without huge pages, a poisoned span is mapped, not
 * written: private copies of one chunk of EMU_RAM_POISON bytes in a memfd, so
 * a page costs nothing until the guest or a check touches it (a write gets
 * its own copy). Writing 64 MiB of poison page by page cost emu-check half
 * its CPU time; a loader touches a few hundred of those pages. */
#define POISON_CHUNK (UINT64_C(2) << 20)
#define HOST_PAGE    UINT64_C(4096)

static int poison_fd = -2;           /* -2: not made yet; -1: no memfd here, memset instead */

static int poison_chunk_fd(void)
{
    if (poison_fd != -2)
        return poison_fd;
    poison_fd = -1;
    int fd = memfd_create("emu-ram-poison", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    void *p = MAP_FAILED;
    if (ftruncate(fd, (off_t)POISON_CHUNK) == 0)
        p = mmap(NULL, POISON_CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return -1;
    }
    memset(p, EMU_RAM_POISON, POISON_CHUNK);
    munmap(p, POISON_CHUNK);
    poison_fd = fd;
    return fd;
}

/* [p, p + len) of page-aligned host RAM becomes private copies of the
 * poison chunk. 0, or -1 where no memfd could be made (nothing changed). */
static int map_poison(uint8_t *p, uint64_t len)
{
    int fd = poison_chunk_fd();
    if (fd < 0)
        return -1;
    for (uint64_t done = 0; done < len; done += POISON_CHUNK) {
        uint64_t n = len - done < POISON_CHUNK ? len - done : POISON_CHUNK;
        if (mmap(p + done, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) != MAP_FAILED)
            continue;
        /* A failed MAP_FIXED may leave the range unmapped: anonymous RAM
         * again, written the slow way. */
        if (mmap(p + done, len - done, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
            abort();
        memset(p + done, EMU_RAM_POISON, len - done);
        break;
    }
    return 0;
}

/* Whether the host gives a madvise(MADV_HUGEPAGE) mapping huge pages: not
 * when transparent huge pages are off ("[never]"), or not built in. */
static int host_has_huge_pages(void)
{
    char mode[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f == NULL)
        return 0;
    size_t n = fread(mode, 1, sizeof mode - 1, f);
    fclose(f);
    mode[n] = '\0';
    return strstr(mode, "[never]") == NULL;
}

int emu_ram_create(struct emu_machine *m, uint64_t ram_size, char *err, size_t errlen)
{
    /* Untouched pages cost nothing: RAM reads as zero, as QEMU's does. */
    void *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (ram == MAP_FAILED) {
        snprintf(err, errlen, "cannot allocate %lu bytes of guest RAM", (unsigned long)ram_size);
        return -1;
    }
    m->ram = ram;
    m->ram_size = ram_size;
    m->ram_huge = host_has_huge_pages() && madvise(ram, ram_size, MADV_HUGEPAGE) == 0;
    return 0;
}

int emu_ram_poison(struct emu_machine *m, uint64_t pa, uint64_t len)
{
    uint8_t *p = emu_ram_at(m, pa, len);
    if (p == NULL)
        return -1;
    if (m->ram_huge) {
        memset(p, EMU_RAM_POISON, len);
        return 0;
    }
    /* Whole host pages in the middle are mapped (RAM itself is an anonymous
     * mapping, page aligned); the ends are written. */
    uintptr_t first = ((uintptr_t)p + HOST_PAGE - 1) & ~(uintptr_t)(HOST_PAGE - 1);
    uintptr_t last = ((uintptr_t)p + len) & ~(uintptr_t)(HOST_PAGE - 1);
    if (last > first && last - first >= POISON_CHUNK && map_poison((uint8_t *)first, last - first) == 0) {
        memset(p, EMU_RAM_POISON, first - (uintptr_t)p);
        memset((uint8_t *)last, EMU_RAM_POISON, (uintptr_t)p + len - last);
        return 0;
    }
    memset(p, EMU_RAM_POISON, len);
    return 0;
}

int emu_ram_read64(struct emu_machine *m, uint64_t pa, uint64_t *out)
{
    const uint8_t *p = emu_ram_at(m, pa, 8);
    if (p == NULL)
        return -1;
    *out = 0;
    for (int i = 7; i >= 0; i--)
        *out = (*out << 8) | p[i];
    return 0;
}

uint8_t *emu_ram_at(struct emu_machine *m, uint64_t pa, uint64_t len)
{
    if (pa < m->ram_base || pa - m->ram_base > m->ram_size || len > m->ram_size - (pa - m->ram_base))
        return NULL;
    return m->ram + (pa - m->ram_base);
}

const char *emu_uart_last_line(const struct emu_machine *m, char *buf, size_t len)
{
    size_t end = m->uart_len;
    while (end > 0 && (m->uart[end - 1] == '\n' || m->uart[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start > 0 && m->uart[start - 1] != '\n' && m->uart[start - 1] != '\r')
        start--;
    size_t n = end - start < len - 1 ? end - start : len - 1;
    memcpy(buf, m->uart ? m->uart + start : "", n);
    buf[n] = '\0';
    return buf;
}

void emu_machine_destroy(struct emu_machine *m)
{
    if (m->uc != NULL)
        uc_close(m->uc);
    if (m->ram != NULL)
        munmap(m->ram, m->ram_size);
    free(m->uart);
    memset(m, 0, sizeof *m);
}
