/* Guest RAM and console helpers of the model (machine.h) that do not depend
 * on the CPU architecture: shared by the AArch64 and the riscv64 emu-check. */
#include "machine.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int emu_ram_poison(struct emu_machine *m, uint64_t pa, uint64_t len)
{
    uint8_t *p = emu_ram_at(m, pa, len);
    if (p == NULL)
        return -1;
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
