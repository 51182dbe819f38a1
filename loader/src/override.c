#include "override.h"

#include "../common/cpio.h"
#include "power.h"
#include "uart.h"

extern uint8_t _payload_start[], _payload_end[];

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void override_apply(uint64_t x[6])
{
    struct cpio_member m;
    char err[CPIO_ERR_LEN];
    if (cpio_find(_payload_start, (uint64_t)(_payload_end - _payload_start), PAYLOAD_OVERRIDE, &m,
                  err) != 1)
        return;
    const uint8_t *p = m.data, *end = m.data + m.size;
    while (p < end) {
        const uint8_t *line = p;
        while (p < end && *p != '\n')
            p++;
        const uint8_t *eol = p;
        if (p < end)
            p++;
        if (eol == line)
            continue;
        /* "x<N>=0x<hex>" */
        if (eol - line < 6 || line[0] != 'x' || line[1] < '0' || line[1] > '5' || line[2] != '=' ||
            line[3] != '0' || line[4] != 'x')
            loader_fail("%s: malformed line (want xN=0xHEX)", PAYLOAD_OVERRIDE);
        unsigned reg = (unsigned)(line[1] - '0');
        uint64_t v = 0;
        for (const uint8_t *q = line + 5; q < eol; q++) {
            int d = hex_digit(*q);
            if (d < 0)
                loader_fail("%s: bad hex digit in x%u", PAYLOAD_OVERRIDE, reg);
            v = (v << 4) | (uint64_t)d;
        }
        uart_printf("loader: TEST OVERRIDE x%u=0x%lx (planned 0x%lx)\n", reg, (unsigned long)v,
                    (unsigned long)x[reg]);
        x[reg] = v;
    }
}
