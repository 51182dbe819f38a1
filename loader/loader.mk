# loader/: the bare-metal elfloader, its shared core (loader/common, also
# compiled for the host) and the pack step that appends a payload.

LOADER_BUILD   := $(BUILD)/loader
LOADER_LINK_ADDR ?= $(aarch64_LOADER_LINK_ADDR)
LOADER_SRCS_C  := $(wildcard loader/arch/aarch64/*.c) $(wildcard $(COMMON_DIR)/*.c)
LOADER_SRCS_S  := $(wildcard loader/arch/aarch64/*.S)
LOADER_OBJS    := $(patsubst %.c,$(LOADER_BUILD)/obj/%.o,$(LOADER_SRCS_C)) \
                  $(patsubst %.S,$(LOADER_BUILD)/obj/%.o,$(LOADER_SRCS_S))
LOADER_LIB     := $(LOADER_BUILD)/loader.a
LOADER_LDS     := loader/arch/aarch64/loader.ld
# Extra -D flags for deliberately broken loader builds used by the tests.
LOADER_DEFINES ?=

LOADER_CFLAGS  = $(TARGET_CFLAGS) -fno-tree-loop-distribute-patterns \
                  -Iloader/arch/aarch64/include -I$(ARM64_SYSROOT)/usr/include $(LOADER_DEFINES)

$(LOADER_BUILD)/obj/%.o: %.c $(LIBFDT_ARM64) $(wildcard loader/arch/aarch64/*.h loader/arch/aarch64/include/*.h $(COMMON_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(CC_TARGET) $(LOADER_CFLAGS) -c $< -o $@

$(LOADER_BUILD)/obj/%.o: %.S $(wildcard loader/arch/aarch64/*.inc)
	@mkdir -p $(dir $@)
	$(CC_TARGET) -c $< -o $@

$(LOADER_LIB): $(LOADER_OBJS)
	rm -f $@
	$(CROSS)ar rcs $@ $^

# Host build of the shared core: validates inputs before packing, with the
# same code the loader runs at boot.
PACK_CHECK := $(LOADER_BUILD)/pack-check
$(PACK_CHECK): $(wildcard loader/host/*.c loader/host/*.h $(COMMON_DIR)/*.c $(COMMON_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(wildcard loader/host/*.c) $(wildcard $(COMMON_DIR)/*.c) -lfdt

LOADER_PACK_DEPS := $(PACK_CHECK) $(LOADER_LDS)
# The pack step's environment (loader/host/pack_step.c says what each is);
# verify-sanitize runs the sanitizer build of the step with it too.
LOADER_PACK_ENV = CROSS=$(CROSS) LOADER_LIB=$(LOADER_LIB) LOADER_LDS=$(LOADER_LDS) \
              LOADER_LINK_ADDR=$(LOADER_LINK_ADDR) LIBFDT_ARM64=$(LIBFDT_ARM64) \
              PACK_RAM_MIB=$(RUN_MEM) OVERRIDE="$(OVERRIDE)" \
              PACK_ARCH=$(KERNEL_ARCH) RISCV_CROSS=$(RISCV_CROSS) RISCV_LOADER_LIB=$(RISCV_LOADER_LIB) \
              RISCV_LOADER_LDS=$(RISCV_LOADER_LDS) RISCV_LOADER_LINK_ADDR=$(riscv64_LOADER_LINK_ADDR) \
              HANDOFF_RECORD="$(HANDOFF_RECORD)" INITRD="$(INITRD)" BOOTARGS="$(BOOTARGS)"
LOADER_PACK = $(LOADER_PACK_ENV) $(PACK_CHECK) --pack

# Every header the freestanding loader's C files include, one per line
# (harness/tests/test_setup.py checks that none comes from a libc).
.PHONY: loader-headers
loader-headers: $(LIBFDT_ARM64)
	@$(CC_TARGET) $(LOADER_CFLAGS) -M $(LOADER_SRCS_C) | tr ' \\' '\n\n' | grep '\.h$$' | sort -u

.PHONY: loader
loader: $(LOADER_LIB) $(PACK_CHECK)
all: loader

# The riscv64 loader (loader/arch/riscv64): the same shared core, without
# libfdt (Debian has no riscv64 build of it; loader/common/fdt_header.c and
# fdt_scan.c read the DTB), built by Debian's riscv64-linux-gnu- toolchain.
# Its link address and the machine it boots on: loader/arch/riscv64/machine.mk.
RISCV_CROSS        ?= riscv64-linux-gnu-
RISCV_CC           := $(RISCV_CROSS)gcc
RISCV_LOADER_BUILD := $(BUILD)/loader/riscv64
RISCV_LOADER_COMMON := cpio.c elf.c plan.c fmt.c fdt_scan.c fdt_header.c dtb_facts.c scause.c
RISCV_LOADER_SRCS_C := $(wildcard loader/arch/riscv64/*.c) $(addprefix $(COMMON_DIR)/,$(RISCV_LOADER_COMMON))
RISCV_LOADER_SRCS_S := $(wildcard loader/arch/riscv64/*.S)
RISCV_LOADER_OBJS  := $(patsubst %.c,$(RISCV_LOADER_BUILD)/obj/%.o,$(RISCV_LOADER_SRCS_C)) \
                      $(patsubst %.S,$(RISCV_LOADER_BUILD)/obj/%.o,$(RISCV_LOADER_SRCS_S))
RISCV_LOADER_LIB   := $(RISCV_LOADER_BUILD)/loader.a
RISCV_LOADER_LDS   := loader/arch/riscv64/loader.ld
RISCV_INCLUDE      = $(call gcc_include,$(RISCV_CC))
# lp64 (no FP registers: the loader never touches the FPU, which the firmware
# may leave off) and medany (it is linked at 0x80200000, above 2 GiB).
RISCV_ARCH_FLAGS   := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
RISCV_LOADER_CFLAGS = $(REPRO_CFLAGS) -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-builtin \
                       -nostdinc -isystem $(RISCV_INCLUDE) $(RISCV_ARCH_FLAGS) -fno-pic -fno-pie \
                       -fno-stack-protector -fno-asynchronous-unwind-tables \
                       -fno-tree-loop-distribute-patterns

$(RISCV_LOADER_BUILD)/obj/%.o: %.c $(wildcard loader/arch/riscv64/*.h $(COMMON_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(RISCV_CC) $(RISCV_LOADER_CFLAGS) -c $< -o $@

$(RISCV_LOADER_BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(RISCV_CC) $(RISCV_ARCH_FLAGS) -c $< -o $@

LOADER_PACK_DEPS += $(RISCV_LOADER_LDS)

$(RISCV_LOADER_LIB): $(RISCV_LOADER_OBJS)
	rm -f $@
	$(RISCV_CROSS)ar rcs $@ $^

.PHONY: loader-riscv64
loader-riscv64: $(RISCV_LOADER_LIB)
loader: loader-riscv64
