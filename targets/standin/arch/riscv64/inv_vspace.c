/* RISC-V page-table, page and ASID-pool invocations. Not modelled yet:
 * every one answers seL4_IllegalOperation (as any operation the stand-in
 * lacks), so a root task meets a clear error instead of a silent success. */
#include "invocation.h"
#include "sel4_abi.h"

unsigned decode_page_table(struct invocation *inv)
{
    return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
}

unsigned decode_frame(struct invocation *inv)
{
    return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
}

unsigned decode_asid_pool(struct invocation *inv)
{
    return inv_error(inv, SEL4_ILLEGAL_OPERATION, 0, 0, 0);
}
