/* Deliberately broken loader builds, for showing that the Unicorn suite
 * (harness/emu) catches each kind of hand-off bug. Nothing here is compiled
 * into a normal build: each switch is a -D flag given only to a mutant build
 * (harness/emu/emu.mk builds one loader library per switch under
 * build/emu/mutants/<name>/). Every file that uses a switch includes this
 * header, which is how emu.mk finds the files to recompile.
 *
 *   BC_MUTATE_SKIP_BSS_ZERO     load_elf() does not zero the destination, so
 *                               the kernel's .bss keeps whatever RAM held.
 *                               Caught by: elf_loading.
 *   BC_MUTATE_KERNEL_DEVICE     the kernel window is mapped with MAIR index 0
 *                               (Device-nGnRnE) instead of Normal WB.
 *                               Caught by: page_tables.
 *   BC_MUTATE_WRITE_ROOTSERVER  after loading, stores a word into the kernel's
 *                               `rootserver` symbol (seL4 fills it itself).
 *                               Caught by: rootserver (and elf_loading).
 *   BC_MUTATE_WRONG_X1          hands over x1 (root task end) one page too high.
 *                               Caught by: handoff_registers.
 *   BC_MUTATE_STRAY_WRITE       stores a word at __loader_end, memory the
 *                               loader does not own (with a Linux payload too,
 *                               right after the Image's copy). Caught by: writes.
 *   BC_MUTATE_CACHES_OFF        enters the kernel with SCTLR.C clear.
 *                               Caught by: cpu_state.
 *   BC_MUTATE_SECONDARY_X3      an SMP kernel's other cores enter it with
 *                               x3 four bytes past the boot core's. Caught
 *                               by: the contract's cores rule (make check).
 *   BC_MUTATE_WRONG_RECORD      writes the opt-in hand-off record
 *                               (loader/common/handoff_record.h) with
 *                               pv_offset one page too high. Caught by:
 *                               handoff_record.
 *
 * Broken Linux hand-offs (the Linux payload kind, loader/arch/aarch64/linux_boot.c),
 * each named by bootcheck.board.linux_contract at Linux's first instruction
 * (harness/tests/test_linux_loader.py):
 *   BC_MUTATE_LINUX_X1                x1 = 0x1000 instead of 0. Rule: registers.
 *   BC_MUTATE_LINUX_MMU_ON            leaves the MMU and D-cache on. Rule: mmu.
 *   BC_MUTATE_LINUX_DTB_MISALIGNED    the DTB 4 bytes past its 8-byte aligned
 *                                     slot. Rule: dtb.
 *   BC_MUTATE_LINUX_DTB_OVER_2M       the DTB header claims 2 MiB + 8 bytes.
 *                                     Rule: dtb.
 *   BC_MUTATE_LINUX_IMAGE_MISPLACED   the Image copied and entered 4 KiB past
 *                                     its 2 MiB-aligned base. Rule: image_placement.
 *   BC_MUTATE_LINUX_INITRD_OUTSIDE_RAM /chosen's initrd range starts 1 MiB past
 *                                     the end of RAM. Rule: initrd.
 */
#ifndef LOADER_MUTATIONS_H
#define LOADER_MUTATIONS_H

#define BC_MUTANT_ROOTSERVER_VALUE 0xbadc0ffee0ddf00dull
#define BC_MUTANT_STRAY_VALUE      0x5742a7e5742a7e57ull

#endif
