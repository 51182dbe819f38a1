/* Platform and layout constants of the riscv64 stand-in kernel.
 *
 * Every number here is one real seL4 13.0.0 .. 16.0.0 for qemu-riscv-virt
 * (riscv64, Sv39, OpenSBI, QEMU -m 3072) also uses
 * (include/arch/riscv/arch/64/mode/hardware.h, libsel4's riscv64
 * constants.h, the platform's generated memory list), so that a loader, a
 * root task and a GDB script cannot tell the two apart at the hand-off.
 * Shared by C and assembly, so only plain #defines. */
#ifndef STANDIN_CONFIG_H
#define STANDIN_CONFIG_H

/* Kernel window: PA 0 appears at PPTR_BASE, so kernel pointer = PA + PPTR_BASE. */
#define PPTR_BASE           0xffffffc000000000
#define PPTR_TOP            0xffffffff80000000
/* Highest physical address the window reaches (exclusive). */
#define PADDR_TOP           (PPTR_TOP - PPTR_BASE)
/* seL4 links its ELF in a second window at PPTR_TOP that maps the GiB
 * holding the kernel image. Where in that GiB depends on the release
 * (targets.mk: 13.0 at physBase + 64 MiB = 0x84000000, 14.0 on at physBase
 * 0x80200000), so the code reads the image's place from _start. */
#define KERNEL_ELF_WINDOW_PADDR 0x80000000

/* QEMU virt -m 3072 RAM less OpenSBI's 2 MiB at its start, compiled in as
 * seL4's avail_p_regs. */
#define RAM_START           0x80200000
#define RAM_END             0x140000000

/* Device untypeds end at seL4's CONFIG_PADDR_USER_DEVICE_TOP (Sv39: 2^39). */
#define PHYS_ADDR_TOP       0x8000000000
/* seL4_MaxUntypedBits (riscv64). */
#define MAX_UNTYPED_BITS    38

/* Physical frames kept out of the device untypeds: the kernel's devices
 * (CLINT, 2 MiB; PLIC, 6 MiB: seL4's kernel_device_frames for this board).
 * OpenSBI's 2 MiB below the available RAM is a device untyped, as on seL4. */
#define KERNEL_RESERVED_PHYS { { 0x2000000, 0x2200000 }, { 0xc000000, 0xc600000 } }

/* A VSpace root is a page-table cap (seL4's isValidVTableRoot: a mapped
 * page table); there is no VSpace object type on RISC-V. */
#define VSPACE_ROOT_CAP_TAG SEL4_CAP_TAG_PAGE_TABLE

/* seL4_UserTop for riscv64 Sv39. */
#define USER_TOP            0x0000003ffffff000

/* seL4's reserved regions before init_freemem (src/arch/riscv/kernel/boot.c):
 * the user image always, wherever it starts. */
#define RESERVE_USER_IMAGE_ONLY_IN_WINDOW  0

/* The initial thread's paging structures below the Sv39 root: level-1
 * tables per GiB, level-2 tables per 2 MiB (arch_get_n_paging). */
#define IT_PAGING_TABLE_SHIFTS  { 30, 21 }
#define IT_PAGING_LEVELS        2

/* seL4's MAX_NUM_FREEMEM_REG on RISC-V (arch/bootinfo.h). */
#define MAX_FREE_REGIONS    16

/* seL4's KernelIsMCS: the build chooses it. */
#ifndef CONFIG_KERNEL_MCS
#define CONFIG_KERNEL_MCS   0
#endif
/* Harts the kernel boots (seL4's CONFIG_MAX_NUM_NODES): the build chooses
 * it (targets/targets.mk: kernel-<release>.elf 1, kernel-<release>-smp4.elf
 * 4). */
#ifndef MAX_NUM_NODES
#define MAX_NUM_NODES       1
#endif
#if MAX_NUM_NODES < 1 || MAX_NUM_NODES > 64
#error "MAX_NUM_NODES must be 1..64"
#endif

/* The time CSR's rate on qemu-riscv-virt (its DTB's /cpus
 * timebase-frequency; seL4's TIMER_FREQUENCY for the platform). */
#define TIMEBASE_HZ         10000000

/* kernel_stack_alloc holds one 4 KiB stack per hart (seL4's
 * CONFIG_KERNEL_STACK_BITS 12). */
#define KERNEL_STACK_BITS   12
#define KERNEL_STACK_SIZE   (1 << KERNEL_STACK_BITS)
#define FAULT_STACK_SIZE    4096

/* The ASID the root task runs under (seL4's IT_ASID). */
#define ROOT_TASK_ASID      1

/* RISC-V's Arch_userStackTrace names the SP and ends no line: `SP %p not aligned`. */
#define STACK_TRACE_NAMES_SP 1

#endif
