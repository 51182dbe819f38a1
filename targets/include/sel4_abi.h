/* The seL4 13.0.0 AArch64 (non-MCS) kernel/user ABI facts this project relies
 * on: BootInfo layout, initial cap slots, syscall numbers and invocation
 * labels. Written from the published facts (see ../shared/sel4-aarch64-handoff.md
 * §4-§5), not from libsel4. Shared by the stand-in kernel (which produces these
 * structures) and the root task (which consumes them), so the two cannot drift. */
#ifndef BOOTCHECK_SEL4_ABI_H
#define BOOTCHECK_SEL4_ABI_H

#include <stdint.h>

typedef uint64_t seL4_Word;

/* Syscall numbers: x7 holds the (negative) number. */
#define SEL4_SYS_CALL                (-1)
#define SEL4_SYS_REPLY_RECV          (-2)
#define SEL4_SYS_SEND                (-3)
#define SEL4_SYS_NBSEND              (-4)
#define SEL4_SYS_RECV                (-5)
#define SEL4_SYS_REPLY               (-6)
#define SEL4_SYS_YIELD               (-7)
#define SEL4_SYS_NBRECV              (-8)
#define SEL4_SYS_DEBUG_PUTCHAR       (-9)
#define SEL4_SYS_DEBUG_DUMP_SCHEDULER (-10)
#define SEL4_SYS_DEBUG_HALT          (-11)
#define SEL4_SYS_DEBUG_CAP_IDENTIFY  (-12)
#define SEL4_SYS_DEBUG_SNAPSHOT      (-13)
#define SEL4_SYS_DEBUG_NAME_THREAD   (-14)

/* Initial CNode slots (enum seL4_RootCNodeCapSlots). */
enum {
    SEL4_CAP_NULL = 0,
    SEL4_CAP_INIT_THREAD_TCB = 1,
    SEL4_CAP_INIT_THREAD_CNODE = 2,
    SEL4_CAP_INIT_THREAD_VSPACE = 3,
    SEL4_CAP_IRQ_CONTROL = 4,
    SEL4_CAP_ASID_CONTROL = 5,
    SEL4_CAP_INIT_THREAD_ASID_POOL = 6,
    SEL4_CAP_IO_PORT_CONTROL = 7,
    SEL4_CAP_IO_SPACE = 8,
    SEL4_CAP_BOOT_INFO_FRAME = 9,
    SEL4_CAP_INIT_THREAD_IPC_BUFFER = 10,
    SEL4_CAP_DOMAIN = 11,
    SEL4_CAP_SMMU_SID_CONTROL = 12,
    SEL4_CAP_SMMU_CB_CONTROL = 13,
    SEL4_CAP_INIT_THREAD_SC = 14,
    SEL4_CAP_SMC = 15,
    SEL4_NUM_INITIAL_CAPS = 16,
};

/* Kernel cap_tag values, as returned by DebugCapIdentify. */
#define SEL4_CAP_TAG_NULL           0
#define SEL4_CAP_TAG_FRAME          1
#define SEL4_CAP_TAG_UNTYPED        2
#define SEL4_CAP_TAG_PAGE_TABLE     3
#define SEL4_CAP_TAG_ENDPOINT       4
#define SEL4_CAP_TAG_NOTIFICATION   6
#define SEL4_CAP_TAG_REPLY          8
#define SEL4_CAP_TAG_VSPACE         9
#define SEL4_CAP_TAG_CNODE          10
#define SEL4_CAP_TAG_ASID_CONTROL   11
#define SEL4_CAP_TAG_THREAD         12
#define SEL4_CAP_TAG_ASID_POOL      13
#define SEL4_CAP_TAG_IRQ_CONTROL    14
#define SEL4_CAP_TAG_IRQ_HANDLER    16
#define SEL4_CAP_TAG_ZOMBIE         18
#define SEL4_CAP_TAG_DOMAIN         20

#define SEL4_PAGE_BITS              12
#define SEL4_ROOT_CNODE_SIZE_BITS   12
#define SEL4_MAX_UNTYPED_CAPS       230
#define SEL4_USER_TOP_EL1           UINT64_C(0x00007fffffffffff)
#define SEL4_USER_TOP_HYP           UINT64_C(0x000000ffffffffff)
#define SEL4_PADDR_TOP              UINT64_C(0x7fc0000000)

/* Extra bootinfo chunk ids. */
#define SEL4_BOOTINFO_HEADER_PADDING 0
#define SEL4_BOOTINFO_HEADER_FDT     6

typedef struct {
    seL4_Word start, end;   /* [start, end) slot numbers */
} seL4_SlotRegion;

typedef struct {
    seL4_Word paddr;
    uint8_t sizeBits;
    uint8_t isDevice;
    uint8_t padding[6];
} seL4_UntypedDesc;

typedef struct {
    seL4_Word extraLen;
    seL4_Word nodeID;
    seL4_Word numNodes;
    seL4_Word numIOPTLevels;
    seL4_Word ipcBuffer;            /* user VA of the IPC buffer */
    seL4_SlotRegion empty;
    seL4_SlotRegion sharedFrames;
    seL4_SlotRegion userImageFrames;
    seL4_SlotRegion userImagePaging;
    seL4_SlotRegion ioSpaceCaps;
    seL4_SlotRegion extraBIPages;
    seL4_Word initThreadCNodeSizeBits;
    seL4_Word initThreadDomain;
    seL4_SlotRegion untyped;
    seL4_UntypedDesc untypedList[SEL4_MAX_UNTYPED_CAPS];
} seL4_BootInfo;

typedef struct {
    seL4_Word id;
    seL4_Word len;   /* bytes, including this header */
} seL4_BootInfoHeader;

_Static_assert(sizeof(seL4_BootInfo) == 3848, "seL4_BootInfo must be 3848 bytes");
_Static_assert(__builtin_offsetof(seL4_BootInfo, untyped) == 152, "untyped at 152");
_Static_assert(__builtin_offsetof(seL4_BootInfo, untypedList) == 168, "untypedList at 168");

/* seL4_MessageInfo: label << 12 | capsUnwrapped << 9 | extraCaps << 7 | length. */
#define SEL4_MSGINFO(label, caps_unwrapped, extra_caps, length) \
    (((seL4_Word)(label) << 12) | ((seL4_Word)(caps_unwrapped) << 9) | \
     ((seL4_Word)(extra_caps) << 7) | (seL4_Word)(length))
#define SEL4_MSGINFO_LABEL(w)  ((w) >> 12)

#endif
