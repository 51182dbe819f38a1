#include "override.h"

#include "../../common/cpio.h"
#include "../../common/override_parse.h"
#include "power.h"
#include "uart.h"

extern uint8_t _payload_start[], _payload_end[];

void override_apply(uint64_t x[6])
{
    struct cpio_member m;
    char err[CPIO_ERR_LEN > OVERRIDE_ERR_LEN ? CPIO_ERR_LEN : OVERRIDE_ERR_LEN];
    if (cpio_find(_payload_start, (uint64_t)(_payload_end - _payload_start), PAYLOAD_OVERRIDE, &m,
                  err) != 1)
        return;
    struct override_entry entries[OVERRIDE_MAX];
    int n = override_parse(m.data, m.size, entries, err);
    if (n < 0)
        loader_fail("%s: %s", PAYLOAD_OVERRIDE, err);
    for (int i = 0; i < n; i++) {
        unsigned reg = entries[i].reg;
        uart_printf("loader: TEST OVERRIDE x%u=0x%lx (planned 0x%lx)\n", reg,
                    (unsigned long)entries[i].value, (unsigned long)x[reg]);
        x[reg] = entries[i].value;
    }
}
