#include "override_parse.h"

#include "fmt.h"

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int override_parse(const uint8_t *data, uint64_t size, struct override_entry out[OVERRIDE_MAX],
                   char err[OVERRIDE_ERR_LEN])
{
    const uint8_t *p = data, *end = data + size;
    int n = 0;
    while (p < end) {
        const uint8_t *line = p;
        while (p < end && *p != '\n')
            p++;
        const uint8_t *eol = p;
        if (p < end)
            p++;
        if (eol == line)
            continue;
        if (eol - line < 6 || line[0] != 'x' || line[1] < '0' || line[1] > '5' || line[2] != '=' ||
            line[3] != '0' || line[4] != 'x') {
            bc_snprintf(err, OVERRIDE_ERR_LEN, "malformed line (want xN=0xHEX)");
            return -1;
        }
        unsigned reg = (unsigned)(line[1] - '0');
        if (eol - (line + 5) > 16) {
            bc_snprintf(err, OVERRIDE_ERR_LEN, "more than 16 hex digits in x%u", reg);
            return -1;
        }
        uint64_t v = 0;
        for (const uint8_t *q = line + 5; q < eol; q++) {
            int d = hex_digit(*q);
            if (d < 0) {
                bc_snprintf(err, OVERRIDE_ERR_LEN, "bad hex digit in x%u", reg);
                return -1;
            }
            v = (v << 4) | (uint64_t)d;
        }
        if (n == OVERRIDE_MAX) {
            bc_snprintf(err, OVERRIDE_ERR_LEN, "more than %d lines", OVERRIDE_MAX);
            return -1;
        }
        out[n++] = (struct override_entry){ reg, v };
    }
    return n;
}
