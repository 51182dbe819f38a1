# The machine an aarch64 image boots on: the one place these facts live. Read
# by make (Makefile: run, debug, check, the loader's link address) and by the
# harness (harness/bootcheck/kernel/arch.py). One `aarch64_NAME := value` per line.
aarch64_E_MACHINE       := 183
aarch64_QEMU            := qemu-system-aarch64
aarch64_MACHINE         := virt
aarch64_CPU             := cortex-a53
aarch64_MEM             := 1024
aarch64_BIOS            :=
aarch64_GDB_ARCH        := aarch64
aarch64_LOADER_LINK_ADDR := 0x48000000
aarch64_CROSS           := aarch64-linux-gnu-
