/* seL4's AArch64 kernel/user structures this project relies on (BootInfo,
 * IPC buffer, message info, initial cap slots) and seL4 13.0.0's non-MCS
 * numbers (syscalls, labels, object types), written from the published facts
 * (../shared/sel4-aarch64-handoff.md §4-§5), not from libsel4.
 *
 * The numbers of every release and configuration (13.0.0..16.0.0, MCS, SMP,
 * hyp) are in the ABI table, targets/abi/ (generated header
 * sel4_abi_table.h): the root task takes all of them from there; the
 * 13.0.0 constants below stay for code written for that numbering only (the
 * stand-in kernel until it moves to the table). */
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
/* BootInfo numNodes is at most this: seL4 names a set of cores with one
 * word-wide bit mask (its IPI masks), so a 64-bit kernel has at most 64. */
#define SEL4_MAX_NUM_NODES          64

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

/* seL4_BootInfo without MCS. An MCS kernel inserts `schedcontrol` (a
 * seL4_SlotRegion) at +152, so `untyped` is at +168 and `untypedList` at
 * +184 (sizeof 3864): the fields before +152 are the same in every
 * configuration; code that may run on MCS reads the others at the ABI
 * table's offsets (roottask/kernel_abi.h). */
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
#define SEL4_MSGINFO_CAPS_UNWRAPPED(w) (((w) >> 9) & 7)
#define SEL4_MSGINFO_EXTRA_CAPS(w) (((w) >> 7) & 3)
#define SEL4_MSGINFO_LENGTH(w) ((w) & 0x7f)

/* Invocation labels of a single-core kernel (MaxNumNodes = 1; everything up
 * to 45 is the same in the hyp build). Only those the spawn path and its
 * tests use, plus TCBUnbindNotification, where the SMP numbering departs.
 * Never put one of these in a message directly: SEL4_INVOCATION_LABEL gives
 * the number the running kernel expects. */
#define SEL4_LABEL_UNTYPED_RETYPE        1
#define SEL4_LABEL_TCB_WRITE_REGISTERS   3
#define SEL4_LABEL_TCB_CONFIGURE         5
#define SEL4_LABEL_TCB_SET_PRIORITY      6
#define SEL4_LABEL_TCB_SET_MC_PRIORITY   7
#define SEL4_LABEL_TCB_RESUME            12
#define SEL4_LABEL_TCB_UNBIND_NOTIFICATION 14
#define SEL4_LABEL_CNODE_COPY            19
#define SEL4_LABEL_CNODE_MINT            20
#define SEL4_LABEL_ARM_PAGE_TABLE_MAP    35
#define SEL4_LABEL_ARM_PAGE_MAP          37
#define SEL4_LABEL_ARM_ASID_POOL_ASSIGN  45

/* An SMP kernel (MaxNumNodes > 1, non-MCS) has TCBSetAffinity right after
 * TCBUnbindNotification, so every label above that one is one higher than
 * on a single-core kernel (CNode, IRQ, Domain and all ARM labels included);
 * the labels up to TCBUnbindNotification keep their numbers. Its other SMP
 * label, ARMIRQIssueIRQHandlerTriggerCore, comes after the last label both
 * builds share, so it moves nothing. (seL4 13.0.0's generated invocation
 * enums, MaxNumNodes 1 against 4.) */
#define SEL4_LABEL_TCB_SET_AFFINITY_SMP  15

/* The label a kernel with num_nodes cores (BootInfo numNodes; seL4's
 * MaxNumNodes) expects for single_core_label, one of the SEL4_LABEL_*
 * above. The one place that knows the SMP shift. A constant expression when
 * both arguments are constants, so a kernel's switch can use it. */
#define SEL4_INVOCATION_LABEL(single_core_label, num_nodes) \
    ((seL4_Word)(single_core_label) + \
     (seL4_Word)((num_nodes) > 1 && (single_core_label) > SEL4_LABEL_TCB_UNBIND_NOTIFICATION))

/* Object types (non-hyp numbering; the spawn path uses none of the hyp-only ones). */
#define SEL4_UNTYPED_OBJECT      0
#define SEL4_TCB_OBJECT          1
#define SEL4_ENDPOINT_OBJECT     2
#define SEL4_NOTIFICATION_OBJECT 3
#define SEL4_CAP_TABLE_OBJECT    4
#define SEL4_ARM_HUGE_PAGE_OBJECT 5
#define SEL4_ARM_VSPACE_OBJECT   6
#define SEL4_ARM_SMALL_PAGE_OBJECT 7
#define SEL4_ARM_LARGE_PAGE_OBJECT 8
#define SEL4_ARM_PAGE_TABLE_OBJECT 9
#define SEL4_OBJECT_TYPE_COUNT   10   /* non-hyp; the hyp build has 11 */

/* Object sizes (log2 bytes). The VSpace is 2^13 in the hyp build. */
#define SEL4_TCB_BITS            11
#define SEL4_ENDPOINT_BITS       4
#define SEL4_NOTIFICATION_BITS   5
#define SEL4_SLOT_BITS           5
#define SEL4_VSPACE_BITS         12
#define SEL4_VSPACE_BITS_HYP     13
#define SEL4_PAGE_TABLE_BITS     12
#define SEL4_LARGE_PAGE_BITS     21
#define SEL4_HUGE_PAGE_BITS      30
#define SEL4_MIN_UNTYPED_BITS    4
#define SEL4_MAX_UNTYPED_BITS    47
#define SEL4_RETYPE_FAN_OUT_LIMIT 256
#define SEL4_MAX_PRIO            255
#define SEL4_WORD_BITS           64

/* Error codes: the label of the reply to a failed invocation. */
#define SEL4_NO_ERROR            0
#define SEL4_INVALID_ARGUMENT    1
#define SEL4_INVALID_CAPABILITY  2
#define SEL4_ILLEGAL_OPERATION   3
#define SEL4_RANGE_ERROR         4
#define SEL4_ALIGNMENT_ERROR     5
#define SEL4_FAILED_LOOKUP       6
#define SEL4_TRUNCATED_MESSAGE   7
#define SEL4_DELETE_FIRST        8
#define SEL4_REVOKE_FIRST        9
#define SEL4_NOT_ENOUGH_MEMORY   10
#define SEL4_NUM_ERRORS          11

/* seL4_CapRights word bits, and the VM attributes of page mappings. */
#define SEL4_CAN_WRITE           1
#define SEL4_CAN_READ            2
#define SEL4_CAN_GRANT           4
#define SEL4_CAN_GRANT_REPLY     8
#define SEL4_ALL_RIGHTS          15
#define SEL4_ARM_PAGE_CACHEABLE  1
#define SEL4_ARM_PARITY_ENABLED  2
#define SEL4_ARM_EXECUTE_NEVER   4
#define SEL4_ARM_DEFAULT_VM_ATTRIBUTES 3

/* seL4_CNode_CapData: guard << 6 | guard size. */
#define SEL4_CNODE_CAP_DATA(guard, guard_size) (((seL4_Word)(guard) << 6) | (seL4_Word)(guard_size))

/* seL4_IPCBuffer: 1024 bytes at the start of the IPC-buffer page. MR i
 * (i >= 4) is word 1 + i; extra cap cptrs (or received badges) at 122 + i. */
#define SEL4_MSG_MAX_LENGTH      120
#define SEL4_MSG_MAX_EXTRA_CAPS  3
#define SEL4_FAST_MESSAGE_REGISTERS 4
typedef struct {
    seL4_Word tag;
    seL4_Word msg[SEL4_MSG_MAX_LENGTH];
    seL4_Word userData;
    seL4_Word caps_or_badges[SEL4_MSG_MAX_EXTRA_CAPS];
    seL4_Word receiveCNode;
    seL4_Word receiveIndex;
    seL4_Word receiveDepth;
} seL4_IPCBuffer;
_Static_assert(sizeof(seL4_IPCBuffer) == 1024, "seL4_IPCBuffer is 1024 bytes");
_Static_assert(__builtin_offsetof(seL4_IPCBuffer, caps_or_badges) == 976, "caps_or_badges at 976");
#define SEL4_IPC_BUFFER_SIZE_BITS 10

/* Fault messages a kernel sends to a thread's fault endpoint (non-MCS
 * AArch64, seL4 13.0.0): the label is the fault type, the words are the MRs
 * below. The thread waits for a reply; with no usable fault endpoint seL4
 * prints a line and leaves the thread inactive (the system runs on). */
#define SEL4_FAULT_NULL             0
#define SEL4_FAULT_CAP              1
#define SEL4_FAULT_UNKNOWN_SYSCALL  2
#define SEL4_FAULT_USER_EXCEPTION   3
#define SEL4_FAULT_VM               5   /* hyp adds VGICMaintenance 6, VCPUFault 7, VPPIEvent 8 */
#define SEL4_VM_FAULT_IP            0
#define SEL4_VM_FAULT_ADDR          1
#define SEL4_VM_FAULT_PREFETCH      2   /* 1: instruction fetch, 0: data access */
#define SEL4_VM_FAULT_FSR           3
#define SEL4_VM_FAULT_LENGTH        4
#define SEL4_CAP_FAULT_IP           0
#define SEL4_CAP_FAULT_ADDR         1
#define SEL4_CAP_FAULT_IN_RECV_PHASE 2
#define SEL4_CAP_FAULT_LOOKUP_FAILURE_TYPE 3
#define SEL4_CAP_FAULT_BITS_LEFT    4   /* all lookup failures but InvalidRoot */
#define SEL4_CAP_FAULT_DEPTH_MISMATCH_BITS_FOUND 5
#define SEL4_CAP_FAULT_GUARD_MISMATCH_GUARD_FOUND 5
#define SEL4_CAP_FAULT_GUARD_MISMATCH_BITS_FOUND 6
/* seL4_LookupFailureType: the value in MR SEL4_CAP_FAULT_LOOKUP_FAILURE_TYPE. */
#define SEL4_LOOKUP_NO_FAILURE      0
#define SEL4_LOOKUP_INVALID_ROOT    1
#define SEL4_LOOKUP_MISSING_CAPABILITY 2
#define SEL4_LOOKUP_DEPTH_MISMATCH  3
#define SEL4_LOOKUP_GUARD_MISMATCH  4
#define SEL4_USER_EXCEPTION_FAULT_IP 0
#define SEL4_USER_EXCEPTION_SP      1
#define SEL4_USER_EXCEPTION_SPSR    2
#define SEL4_USER_EXCEPTION_NUMBER  3
#define SEL4_USER_EXCEPTION_CODE    4
#define SEL4_USER_EXCEPTION_LENGTH  5
#define SEL4_UNKNOWN_SYSCALL_FAULT_IP 8   /* MR0..7 are x0..x7 */
#define SEL4_UNKNOWN_SYSCALL_SP     9
#define SEL4_UNKNOWN_SYSCALL_LR     10
#define SEL4_UNKNOWN_SYSCALL_SPSR   11
#define SEL4_UNKNOWN_SYSCALL_SYSCALL 12
#define SEL4_UNKNOWN_SYSCALL_LENGTH 13

#endif
