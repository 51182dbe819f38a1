/* The build's entry of the ABI table (the architecture it is compiled for,
 * the release it imitates, MCS, SMP) and the object sizes in it: the part
 * of abi.h the boot code needs, kept apart from the decoders' lookups. */
#include "abi.h"

#include "config.h"
#include "release.h"

const struct sel4_abi *kernel_abi(void)
{
    static const struct sel4_abi *abi;
    if (abi == 0)
        abi = sel4_abi_find(SEL4_RELEASE_13_0_0 + (standin_release.major - 13), CONFIG_KERNEL_MCS,
                            MAX_NUM_NODES > 1, 0);
    return abi;
}

unsigned abi_object_bits(enum sel4_object type)
{
    return kernel_abi()->object_bits[type];
}

