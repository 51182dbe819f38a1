# bootcheck: build and verify AArch64 boot loaders and the seL4 hand-off.
# Each room contributes one make fragment; this file holds the shared
# variables and the user-facing targets.

# No built-in implicit rules (every rule here is written out): without them
# make does not try its ~90 built-in patterns on each of the ~400 fragments
# and dependency files it reads, for whether it could remake them, which
# was about half of the CPU of every make invocation (the suite starts ~100).
MAKEFLAGS  += -r
SHELL      := /bin/bash
BUILD      ?= build
CROSS      ?= aarch64-linux-gnu-
CC_TARGET  := $(CROSS)gcc
OBJCOPY    := $(CROSS)objcopy
HOSTCC     ?= gcc
PYTHON     ?= /usr/bin/python3
# Each architecture's machine facts (QEMU binary, machine, CPU, RAM, firmware,
# gdb architecture, loader link address), in one file each that the harness
# reads too (harness/bootcheck/kernel/arch.py): aarch64_QEMU, riscv64_MEM, ...
include loader/arch/aarch64/machine.mk loader/arch/riscv64/machine.mk
QEMU       ?= $(aarch64_QEMU)
# Every QEMU command line asks for exactly the devices it uses: no default
# NIC (its ROM, efi-virtio.rom, is in ipxe-qemu, absent on a minimal system)
# and no display. The Python side has the same list (bootcheck/boot/qemu_machine.py).
QEMU_NO_DEFAULT_DEVICES := -nic none -display none
MACHINE    ?= $(aarch64_MACHINE)
CPU        ?= $(aarch64_CPU)
MEM        ?= $(aarch64_MEM)
# QEMU -smp for make run / debug / check: by default as many CPUs as the
# kernel needs (seL4's MAX_NUM_NODES, read from its ELF by pack-check).
CPUS       ?=
KERNEL_CPUS = $(or $(CPUS),$(shell $(PACK_CHECK) --kernel-nodes "$(KERNEL)" 2>/dev/null),1)

# $(call gcc_include,CC): CC's own header directory (-print-file-name=include),
# asked of CC once per make and only when a recipe or rule needs it: the flag
# variables that hold it are recursive (=), so a make that compiles nothing
# (make -n image, make check, ...) starts no compiler, nor the shell around it.
gcc_include = $(if $(filter undefined,$(origin gcc_include_of_$(1))),$(eval \
    gcc_include_of_$(1) := $$(shell $(1) -print-file-name=include 2>/dev/null)))$(gcc_include_of_$(1))

# Flags for everything that runs on bare metal. -nostdinc: no host or cross
# libc header is ever seen; only GCC's own freestanding headers (stdint.h,
# stddef.h, stdarg.h, stdbool.h) and the project's.
TARGET_INCLUDE = $(call gcc_include,$(CC_TARGET))
# Debug info names the checkout as ".": the same sources give the same ELF
# bytes wherever they are cloned, so the payload's layout, and the loader's
# instruction count that copies it, do not depend on the checkout's path.
REPRO_CFLAGS  = -ffile-prefix-map=$(CURDIR)=.
TARGET_CFLAGS = $(REPRO_CFLAGS) -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-builtin \
                 -nostdinc -isystem $(TARGET_INCLUDE) \
                 -fno-pic -fno-pie -mcpu=cortex-a53 -mstrict-align -fno-stack-protector \
                 -fno-asynchronous-unwind-tables -mgeneral-regs-only
TARGET_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
                  -Wl,--no-warn-rwx-segments
HOST_CFLAGS   := -std=c11 -Wall -Wextra -Werror -O2 -g

# The arm64 libfdt comes from Debian's package, unpacked into build/ because
# the amd64 and arm64 libfdt-dev packages cannot be installed side by side.
ARM64_SYSROOT := $(BUILD)/deps/arm64
LIBFDT_ARM64  := $(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu/libfdt.a

COMMON_DIR := loader/common

# Defaults for make image / run / debug: the project's own stand-in kernel and root task.
KERNEL    ?= $(BUILD)/targets/standin/kernel.elf
ROOTTASK  ?= $(BUILD)/roottask/roottask.elf
DTB       ?=
# Opt-in hand-off record protocol (loader/common/handoff_record.h): the kernel
# variable the loader fills with its boot record. Empty (off) for seL4.
HANDOFF_RECORD ?=
OUT       ?= $(BUILD)/image.elf

# The architecture of make image / run / debug is the kernel's (its ELF
# e_machine: 243 EM_RISCV, else AArch64); no flag. The root task defaults to
# that architecture's, and run / debug take that architecture's machine, with
# MACHINE= CPU= MEM= QEMU= on the command line still winning.
# The kernel is read once, and only by a make that needs its architecture
# (image, run, debug, ...): KERNEL_ARCH and the default ROOTTASK are
# recursive, and the rules that name them in their prerequisites defer them
# to the second expansion, so other makes (check, all, ...) start no od.
kernel_arch_of = $(if $(filter 243,$(shell od -An -tu2 -j18 -N2 "$(1)" 2>/dev/null)),riscv64,aarch64)
KERNEL_ARCH = $(if $(filter undefined,$(origin kernel_arch_once)),$(eval \
    kernel_arch_once := $$(call kernel_arch_of,$$(KERNEL))))$(kernel_arch_once)
ifeq ($(origin ROOTTASK),file)
ROOTTASK   = $(if $(filter riscv64,$(KERNEL_ARCH)),$(BUILD)/roottask/riscv64/roottask.elf,$(BUILD)/roottask/roottask.elf)
else ifeq ($(origin ROOTTASK),environment)
ifeq ($(KERNEL_ARCH),riscv64)
ROOTTASK  := $(BUILD)/roottask/riscv64/roottask.elf
endif
endif
arch_given = $(if $(filter command line environment,$(origin $(1))),$($(1)),$($(KERNEL_ARCH)_$(1)))
RUN_QEMU    = $(call arch_given,QEMU)
RUN_MACHINE = $(call arch_given,MACHINE)
RUN_CPU     = $(call arch_given,CPU)
RUN_MEM     = $(call arch_given,MEM)
RUN_BIOS    = $(if $($(KERNEL_ARCH)_BIOS),-bios $($(KERNEL_ARCH)_BIOS))
SEL4_KERNEL ?=
PYTEST_ARGS ?=

.PHONY: all deps verify image run debug bench clean pristine-check
all:

# Prerequisites written with $$ are expanded once more when make needs them
# (image's and altloader-image's, which read the kernel's architecture); no
# other prerequisite list has a $ left after the first expansion.
.SECONDEXPANSION:

# Every room's fragments: <room>/*.mk and one level below (e.g. harness/emu/emu.mk).
include loader/loader.mk
include $(sort $(filter-out loader/loader.mk,$(wildcard loader/*.mk targets/*.mk targets/*/*.mk \
    roottask/*.mk fixtures/*.mk fixtures/*/*.mk harness/*.mk harness/*/*.mk)))

# make rebuilds what is older than its sources, not what was compiled with
# other flags. The definitions of the target builds' flags (unexpanded: no
# compiler is asked anything) are kept in $(BUILD)/flags.stamp; when they
# differ, everything built is removed before anything is made (objects are
# also made as side effects of archives and links), but for what make deps
# fetched ($(BUILD)/deps), a running test run's cache and a LAVA instance.
# Not under make -n, which changes nothing.
TARGET_FLAG_VARS := REPRO_CFLAGS TARGET_CFLAGS TARGET_LDFLAGS LOADER_CFLAGS RISCV_LOADER_CFLAGS \
    ROOTTASK_CFLAGS COMPONENT_CFLAGS RV_TARGET_CFLAGS RV_ROOTTASK_CFLAGS RV_COMPONENT_CFLAGS \
    STANDIN_CFLAGS STANDIN_RV_CFLAGS ALTLOADER_CFLAGS RVALT_CFLAGS STANDIN_RV_FIX_CFLAGS
TARGET_FLAGS_NOW := $(foreach v,$(TARGET_FLAG_VARS),$(v)=$(value $(v));)
BUILD_KEPT := deps run-cache lava-instance flags.stamp
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
ifneq ($(file <$(BUILD)/flags.stamp),$(TARGET_FLAGS_NOW))
BUILT_WITH_OTHER_FLAGS := $(filter-out $(addprefix $(BUILD)/,$(BUILD_KEPT)),$(wildcard $(BUILD)/*))
ifneq ($(BUILT_WITH_OTHER_FLAGS),)
$(info make: the target builds' flags are not those $(BUILD) was built with: rebuilding it ($(BUILD)/deps is kept))
$(shell rm -rf $(BUILT_WITH_OTHER_FLAGS))
endif
# A new build folder gets its stamp now, or the next make would take what
# this one builds for a build made with other flags.
$(if $(wildcard $(BUILD)/.),,$(shell mkdir -p $(BUILD)))
$(file >$(BUILD)/flags.stamp,$(TARGET_FLAGS_NOW))
endif
endif

deps:
	./.ci/install-deps
	@# Debian's arm64 Linux kernel for the Linux tests (harness/uboot.mk); without
	@# it those tests skip with the reason, so a failed download does not fail deps.
	-$(MAKE) --no-print-directory linux-image
	@# The set-up database every local LAVA instance starts from (harness/lava.mk),
	@# made here once instead of by the first instance test of make verify.
	-$(MAKE) --no-print-directory lava-instance-template LAVA_TEMPLATE_FLAGS=--skip-if-unable

# The README's two commands on the committed HEAD in a brand-new minimal
# Debian 12 root (debootstrap; root only). See .ci/pristine-check.
pristine-check:
	./.ci/pristine-check

$(LIBFDT_ARM64):
	@mkdir -p $(ARM64_SYSROOT)/debs
	@dpkg --print-foreign-architectures | grep -qx arm64 || { echo "error: the arm64 architecture" \
	    "is not enabled, so apt cannot fetch libfdt-dev:arm64 for the loader; run make deps" >&2; exit 1; }
	cd $(ARM64_SYSROOT)/debs && apt-get download -q libfdt-dev:arm64 || { echo "error: apt-get download" \
	    "libfdt-dev:arm64 failed (see above); run make deps, which enables arm64 and updates apt" >&2; exit 1; }
	dpkg-deb -x $(ARM64_SYSROOT)/debs/libfdt-dev_*_arm64.deb $(ARM64_SYSROOT)
	@test -f $@ || { echo "error: $@ missing after unpacking libfdt-dev:arm64 (run make deps)" >&2; exit 1; }

# Packs any kernel + root task (+ DTB) into a bootable loader image, without
# recompiling the loader.
image: $$(if $$(filter riscv64,$$(KERNEL_ARCH)),$$(RISCV_LOADER_LIB),$$(LOADER_LIB)) $$(LOADER_PACK_DEPS) \
       $$(if $$(filter $$(BUILD)/%,$$(KERNEL)),$$(KERNEL)) $$(if $$(filter $$(BUILD)/%,$$(ROOTTASK)),$$(ROOTTASK))
	$(LOADER_PACK) "$(KERNEL)" "$(ROOTTASK)" "$(DTB)" "$(OUT)"

run: image
	@echo "bootcheck: booting $(OUT) ($(KERNEL_ARCH)) on -machine $(RUN_MACHINE) -cpu $(RUN_CPU) -smp $(KERNEL_CPUS) -m $(RUN_MEM) $(RUN_BIOS) (quit: Ctrl-A x)"
	$(RUN_QEMU) -machine $(RUN_MACHINE) -cpu $(RUN_CPU) -smp $(KERNEL_CPUS) -m $(RUN_MEM) $(RUN_BIOS) -nic none -nographic -kernel $(OUT)

clean:
	rm -rf $(BUILD)
