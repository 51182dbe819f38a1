/* Platform and layout constants of the stand-in kernel.
 *
 * Every number here is one the real seL4 13.0.0 .. 16.0.0 (qemu-arm-virt,
 * aarch64, EL1 build) also use, because the point of the stand-in is that a loader,
 * a root task and a GDB script cannot tell the two apart at the hand-off.
 * Shared by C and assembly, so only plain #defines. */
#ifndef STANDIN_CONFIG_H
#define STANDIN_CONFIG_H

/* Kernel window: PA 0 appears at PPTR_BASE, so kernel VA = PA + PPTR_BASE. */
#define PPTR_BASE           0xffffff8000000000
#define PPTR_TOP            0xffffffffc0000000
/* Highest physical address the window reaches (exclusive): 511 GiB. */
#define PADDR_TOP           0x7fc0000000
/* Where the kernel image is linked and loaded. */
#define KERNEL_PADDR        0x40000000
#define KERNEL_VADDR        (PPTR_BASE + KERNEL_PADDR)
/* Kernel device window: one 4 KiB page per device, UART first. */
#define KDEV_BASE           0xffffffffffe00000
#define UART_PADDR          0x09000000
#define UART_VADDR          KDEV_BASE

/* QEMU virt -m 1024 RAM, compiled in like seL4's avail_p_regs. */
#define RAM_START           0x40000000
#define RAM_END             0x80000000

/* Device untypeds cover physical space up to the 40-bit PA limit of the
 * cortex-a53 (ID_AA64MMFR0_EL1.PARange = 2). */
#define PHYS_ADDR_TOP       0x10000000000
/* seL4_MaxUntypedBits (aarch64). */
#define MAX_UNTYPED_BITS    47

/* Frames seL4 keeps for itself on this board (GIC distributor and CPU
 * interface): they are left out of the device untypeds, as seL4 does. Only
 * the SMP builds touch the GIC, and only to wake a waiting boot core. */
#define GICD_PADDR          0x08000000
#define GICC_PADDR          0x08010000
/* Where the SMP builds map them, after the UART: the boot core sleeps on
 * the virtual timer's interrupt while it waits for the other cores (smp.c). */
#define GICD_VADDR          (KDEV_BASE + 0x1000)
#define GICC_VADDR          (KDEV_BASE + 0x2000)
/* The cap of a VSpace root (seL4's isValidVTableRoot). */
#define VSPACE_ROOT_CAP_TAG SEL4_CAP_TAG_VSPACE
/* Physical frames the kernel keeps out of the device untypeds. */
#define KERNEL_RESERVED_PHYS { { GICD_PADDR, GICD_PADDR + 0x1000 }, { GICC_PADDR, GICC_PADDR + 0x1000 } }

#define USER_TOP            0x00007fffffffffff

/* seL4's KernelIsMCS: the build chooses it (targets.mk: the -mcs builds). */
#ifndef CONFIG_KERNEL_MCS
#define CONFIG_KERNEL_MCS   0
#endif

/* Cores the kernel boots (seL4's CONFIG_MAX_NUM_NODES). The build chooses
 * it (targets/targets.mk: kernel.elf 1, kernel-smp4.elf 4). */
#ifndef MAX_NUM_NODES
#define MAX_NUM_NODES       1
#endif
/* A core's id shares TPIDR_EL1 with its 4 KiB-aligned stack top (head.S),
 * and seL4 names a set of cores with one 64-bit mask. */
#if MAX_NUM_NODES < 1 || MAX_NUM_NODES > 64
#error "MAX_NUM_NODES must be 1..64"
#endif

/* Sizes of the kernel's own stacks. kernel_stack_alloc holds one 4 KiB
 * stack per core, as seL4's does (KERNEL_STACK_BITS 12), so its ELF symbol
 * size is MAX_NUM_NODES * KERNEL_STACK_SIZE: a loader reads the node count
 * from it. */
#define KERNEL_STACK_BITS   12
#define KERNEL_STACK_SIZE   (1 << KERNEL_STACK_BITS)
#define FAULT_STACK_SIZE    4096

/* PSCI function id (SMC32 calling convention). */
#define PSCI_SYSTEM_OFF     0x84000008

/* seL4's reserved regions before init_freemem (src/arch/arm/kernel/boot.c):
 * the user image only when it starts inside the kernel window. */
#define RESERVE_USER_IMAGE_ONLY_IN_WINDOW  1

/* The initial thread's paging structures below the VSpace root, one level
 * per entry: the log2 span one table of that level covers (level 1 ..). */
#define IT_PAGING_TABLE_SHIFTS  { 39, 30, 21 }
#define IT_PAGING_LEVELS        3

/* seL4's MAX_NUM_FREEMEM_REG for qemu-arm-virt: one slot per RAM region (1),
 * one for the kernel's boot code, one spare for what is left beside the
 * root server objects. */
#define MAX_FREE_REGIONS    3

/* The ASID the root task runs under (seL4's IT_ASID). */
#define ROOT_TASK_ASID      1

/* AArch64's Arch_userStackTrace: `SP not aligned` and a line end. */
#define STACK_TRACE_NAMES_SP 0

#endif
