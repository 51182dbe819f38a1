/* QEMU "virt" (AArch64) machine facts used by the loader, the host tools,
 * the harness and the test loaders: here, on the lowest floor, so that none
 * of them reaches up into another room for them.
 * Everything here is a property of the machine model, not of a kernel. */
#ifndef BOOTCHECK_QEMU_VIRT_H
#define BOOTCHECK_QEMU_VIRT_H

#define VIRT_UART_BASE      0x09000000u    /* PL011 */
#define VIRT_UART_SIZE      0x00001000u
#define VIRT_RAM_BASE       0x40000000u
/* For an ELF -kernel whose lowest load address is at least 1 MiB into RAM,
 * QEMU writes its generated DTB at the start of RAM and passes nothing in
 * registers; the loader therefore looks for the FDT magic there. */
#define VIRT_QEMU_DTB_ADDR  VIRT_RAM_BASE

/* Where the loader image is linked. It must stay clear of the kernel
 * (0x40000000 for seL4's EL1 build, 0x60000000 for the hyp build) and of the
 * DTB copy and root task placed right after it, and fit in 512 MiB of RAM. */
#define LOADER_LINK_ADDR    0x48000000

/* QEMU "virt" (riscv64) with OpenSBI: RAM starts at 0x80000000 and the
 * firmware keeps it up to 0x80200000, where it starts the next stage (the
 * loader, unless the kernel itself is linked there, as seL4 16.0.0's is). */
#define RISCV_VIRT_RAM_BASE      0x80000000u
#define RISCV_SBI_FIRMWARE_END   0x80200000u

#endif
