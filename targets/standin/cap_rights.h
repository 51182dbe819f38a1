/* Rights masking shared by CNode_Copy/Mint (masking a cap) and Page_Map
 * (masking a frame's VM rights), with seL4's rules. */
#ifndef STANDIN_CAP_RIGHTS_H
#define STANDIN_CAP_RIGHTS_H

#include "cap.h"

/* seL4's maskVMRights over rights words: read-write frames may drop to
 * read-only; anything without read becomes kernel-only (no bits). */
static inline uint8_t frame_mask_rights(uint8_t frame_rights, uint64_t mask)
{
    int read = (mask & SEL4_CAN_READ) != 0, write = (mask & SEL4_CAN_WRITE) != 0;
    if (!read)
        return 0;
    if (frame_rights == SEL4_CAN_READ)
        return SEL4_CAN_READ;
    if (frame_rights == (SEL4_CAN_READ | SEL4_CAN_WRITE))
        return write ? frame_rights : SEL4_CAN_READ;
    return 0;
}

#endif
