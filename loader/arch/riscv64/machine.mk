# The machine a riscv64 image boots on: the one place these facts live. Read
# by make (Makefile: run, debug, the loader's link address) and by the harness
# (harness/bootcheck/kernel/arch.py). One `riscv64_NAME := value` per line.
# OpenSBI (-bios default: QEMU's own build) starts the next stage in S-mode at
# the ELF's entry; 0x80200000 is its default next-stage address, where the
# loader is linked unless the kernel occupies it (loader/host/pack_step.c).
# 3 GiB of RAM, as seL4's own qemu-riscv-virt simulation runs.
riscv64_E_MACHINE       := 243
riscv64_QEMU            := qemu-system-riscv64
riscv64_MACHINE         := virt
riscv64_CPU             := rv64
riscv64_MEM             := 3072
riscv64_BIOS            := default
riscv64_GDB_ARCH        := riscv:rv64
riscv64_LOADER_LINK_ADDR := 0x80200000
riscv64_CROSS           := riscv64-linux-gnu-
