# Stand-in kernel: a small AArch64 kernel that honours seL4's loader-to-kernel
# hand-off and kernel ABI (see targets/standin/README.md), built once for
# each seL4 release it imitates and each configuration of it:
#
#   build/targets/standin/kernel-<release><config>.elf
#     release: 13.0.0 14.0.0 15.0.0 16.0.0
#     config:  (none)  non-MCS, one core
#              -mcs    KernelIsMCS, one core
#              -smp4   non-MCS, KernelMaxNumNodes=4
#              -mcs-smp4
#
# kernel.elf and kernel-smp4.elf keep their historic names: copies of
# kernel-13.0.0.elf and kernel-13.0.0-smp4.elf.
#
# Objects: one set per configuration, shared by the four releases (the code
# asks the release at run time); the one object that differs between
# releases (release.c: the release number and the ELF's release evidence)
# is compiled per build in build/targets/standin-builds/<release><config>/.

include targets/abi/abi.mk

STANDIN_DIR       := targets/standin
# AArch64-specific sources (entry, vectors, page tables, PL011, PSCI, SMP,
# the ARM VSpace invocations, link script, platform constants).
STANDIN_ARCH_DIR  := $(STANDIN_DIR)/arch/aarch64
STANDIN_ARCH_SRCS := head.S vectors.S vspace.c uart.c power.c smp_arch.c inv_vspace.c trap.c boot_arch.c
STANDIN_OUT       := $(BUILD)/targets/standin
STANDIN_RELEASES  := 13.0.0 14.0.0 15.0.0 16.0.0
STANDIN_SMP_NODES := 4
STANDIN_CONFIGS   := up mcs smp$(STANDIN_SMP_NODES) mcs-smp$(STANDIN_SMP_NODES)

# $(call standin_suffix,CONFIG): "" for up, -CONFIG otherwise.
standin_suffix = $(if $(filter up,$(1)),,-$(1))
# $(call standin_elf,RELEASE,CONFIG)
standin_elf = $(STANDIN_OUT)/kernel-$(1)$(call standin_suffix,$(2)).elf

STANDIN_KERNEL     := $(STANDIN_OUT)/kernel.elf
STANDIN_SMP_KERNEL := $(STANDIN_OUT)/kernel-smp$(STANDIN_SMP_NODES).elf
STANDIN_KERNELS    := $(foreach r,$(STANDIN_RELEASES),$(foreach c,$(STANDIN_CONFIGS),$(call standin_elf,$(r),$(c))))
export STANDIN_KERNEL STANDIN_SMP_KERNEL STANDIN_KERNELS

STANDIN_C_SRCS := abi.c abi_table.c boot.c boot_arch.c bootinfo.c bootinfo_frame.c handoff.c cspace.c freemem.c inv_cnode.c inv_domain.c inv_tcb.c inv_untyped.c \
                  inv_vspace.c invocation.c ipc.c fault.c notification.c kassert.c kstring.c \
                  power.c sched.c \
                  syscall.c trap.c thread.c uart.c vspace.c
STANDIN_SMP_C_SRCS := smp.c smp_arch.c
STANDIN_MCS_C_SRCS := inv_sched.c reply.c sched_context.c
STANDIN_S_SRCS := head.S vectors.S
STANDIN_COMMON_SRCS := fmt.c esr.c

# -fno-tree-loop-distribute-patterns: memset/memcpy are ours and must not
# be compiled into calls to themselves.
STANDIN_CFLAGS = $(TARGET_CFLAGS) -fno-tree-loop-distribute-patterns -mcmodel=small \
                  -I$(STANDIN_DIR) -I$(STANDIN_ARCH_DIR) -Itargets/include $(SEL4_ABI_INCLUDE) -I$(COMMON_DIR) -MMD -MP

# Per configuration: object directory (the single-core non-MCS one keeps
# build/targets/standin, its historic place), sources, flags.
standin_conf_dir = $(BUILD)/targets/standin$(call standin_suffix,$(1))
standin_conf_srcs = $(STANDIN_C_SRCS) $(if $(findstring smp,$(1)),$(STANDIN_SMP_C_SRCS)) \
                    $(if $(findstring mcs,$(1)),$(STANDIN_MCS_C_SRCS))
standin_conf_cflags = $(STANDIN_CFLAGS) -DCONFIG_KERNEL_MCS=$(if $(findstring mcs,$(1)),1,0) \
                      $(if $(findstring smp,$(1)),-DMAX_NUM_NODES=$(STANDIN_SMP_NODES))
# Shared sources get their own object directory: a stale dependency file
# from when one of them lived in targets/standin/ is then never read.
# The ABI table (build/abi/sel4_abi_table.c) is compiled into each
# configuration's objects: the stand-in takes every number from it.
# Architecture sources compile into arch/aarch64/ beside the shared objects
# (link order unchanged).
standin_obj = $(2)/$(if $(filter $(1),$(STANDIN_ARCH_SRCS)),arch/aarch64/)$(basename $(1)).o
standin_conf_objs = $(foreach s,$(call standin_conf_srcs,$(1)) $(STANDIN_S_SRCS),$(call standin_obj,$(s),$(call standin_conf_dir,$(1)))) \
                    $(addprefix $(call standin_conf_dir,$(1))/common/,$(STANDIN_COMMON_SRCS:.c=.o)) \
                    $(call standin_conf_dir,$(1))/abi/sel4_abi_table.o

# $(call standin_config,CONFIG): compile rules of one configuration's objects.
define standin_config
$(call standin_conf_dir,$(1))/%.o: $(STANDIN_DIR)/%.c | $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(CC_TARGET) $$(call standin_conf_cflags,$(1)) -c $$< -o $$@

$(call standin_conf_dir,$(1))/abi/sel4_abi_table.o: $(SEL4_ABI_C) $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(CC_TARGET) $$(call standin_conf_cflags,$(1)) -c $$< -o $$@

$(call standin_conf_dir,$(1))/arch/aarch64/%.o: $(STANDIN_ARCH_DIR)/%.c | $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(CC_TARGET) $$(call standin_conf_cflags,$(1)) -c $$< -o $$@

$(call standin_conf_dir,$(1))/arch/aarch64/%.o: $(STANDIN_ARCH_DIR)/%.S
	@mkdir -p $$(@D)
	$(CC_TARGET) $$(call standin_conf_cflags,$(1)) -c $$< -o $$@

$(call standin_conf_dir,$(1))/common/%.o: $(COMMON_DIR)/%.c
	@mkdir -p $$(@D)
	$(CC_TARGET) $$(call standin_conf_cflags,$(1)) -c $$< -o $$@

-include $(patsubst %.o,%.d,$(call standin_conf_objs,$(1)))
endef
$(foreach c,$(STANDIN_CONFIGS),$(eval $(call standin_config,$(c))))

standin_build_dir = $(BUILD)/targets/standin-builds/$(1)$(call standin_suffix,$(2))

# $(call standin_build,RELEASE,CONFIG): the release object and the link.
define standin_build
$(call standin_build_dir,$(1),$(2))/release.o: $(STANDIN_DIR)/release.c | $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(CC_TARGET) $$(call standin_conf_cflags,$(2)) -DSTANDIN_RELEASE_MAJOR=$(firstword $(subst ., ,$(1))) \
	    -DSTANDIN_RELEASE_NAME='"$(1)"' -c $$< -o $$@

-include $(call standin_build_dir,$(1),$(2))/release.d

$(call standin_elf,$(1),$(2)): $(call standin_conf_objs,$(2)) $(call standin_build_dir,$(1),$(2))/release.o \
                               $(STANDIN_ARCH_DIR)/kernel.ld
	@mkdir -p $$(@D)
	$(CC_TARGET) $(TARGET_LDFLAGS) -T $(STANDIN_ARCH_DIR)/kernel.ld $(call standin_serr_symbols,$(1)) \
	    $(call standin_conf_objs,$(2)) $(call standin_build_dir,$(1),$(2))/release.o -o $$@ -lgcc
endef

# seL4 up to 15.0 names its SError vector entries cur_el_serr (current EL,
# SP_ELx: vector offset 0x380) and lower_el_serr (lower EL, AArch64: 0x580);
# 16.0 has no such symbols. The stand-in's builds of those releases give its
# own entries the same names (a release mark bootcheck reads).
STANDIN_SERR_SYMBOLS := -Wl,--defsym=cur_el_serr=arm_vector_table+0x380 \
                        -Wl,--defsym=lower_el_serr=arm_vector_table+0x580
standin_serr_symbols = $(if $(filter 13 14 15,$(firstword $(subst ., ,$(1)))),$(STANDIN_SERR_SYMBOLS))
$(foreach r,$(STANDIN_RELEASES),$(foreach c,$(STANDIN_CONFIGS),$(eval $(call standin_build,$(r),$(c)))))

$(STANDIN_KERNEL): $(call standin_elf,13.0.0,up)
	cp $< $@
$(STANDIN_SMP_KERNEL): $(call standin_elf,13.0.0,smp$(STANDIN_SMP_NODES))
	cp $< $@

.PHONY: standin standin-smp standin-all
standin: $(STANDIN_KERNEL)
standin-smp: $(STANDIN_SMP_KERNEL)
standin-all: $(STANDIN_KERNEL) $(STANDIN_SMP_KERNEL) $(STANDIN_KERNELS)
all: standin-all

# ---------------------------------------------------------------------------
# riscv64 (QEMU virt, S-mode under OpenSBI, Sv39): the same hand-off checks
# and free-memory model (handoff.c, freemem.c, bootinfo_frame.c, shared with
# AArch64) on riscv64's entry, traps, Sv39 tables and SBI console
# (arch/riscv64/). One build per release, non-MCS and MCS, one hart and
# four (KernelMaxNumNodes=4: every hart enters from the loader, SBI HSM):
#   build/targets/standin/riscv64/kernel-<release>[-mcs][-smp4].elf
#   build/targets/standin/riscv64/kernel.elf        (a copy of kernel-13.0.0.elf)
#   build/targets/standin/riscv64/kernel-smp4.elf   (a copy of kernel-13.0.0-smp4.elf)
STANDIN_RV_CROSS    ?= riscv64-linux-gnu-
STANDIN_RV_CC       := $(STANDIN_RV_CROSS)gcc
STANDIN_RV_DIR      := $(STANDIN_DIR)/arch/riscv64
STANDIN_RV_OUT      := $(STANDIN_OUT)/riscv64
STANDIN_RV_OBJ      := $(BUILD)/targets/standin-riscv64
STANDIN_RV_RELEASES := 13.0.0 14.0.0 15.0.0 16.0.0
STANDIN_RV_KERNEL   := $(STANDIN_RV_OUT)/kernel.elf
STANDIN_RV_SMP_KERNEL := $(STANDIN_RV_OUT)/kernel-smp$(STANDIN_SMP_NODES).elf
# Single-hart builds (the list test_riscv_chain and test_standin_riscv
# boot); the SMP builds are listed apart.
STANDIN_RV_KERNELS  := $(foreach r,$(STANDIN_RV_RELEASES),$(STANDIN_RV_OUT)/kernel-$(r).elf \
                         $(STANDIN_RV_OUT)/kernel-$(r)-mcs.elf)
STANDIN_RV_SMP_KERNELS := $(foreach r,$(STANDIN_RV_RELEASES),$(STANDIN_RV_OUT)/kernel-$(r)-smp$(STANDIN_SMP_NODES).elf \
                            $(STANDIN_RV_OUT)/kernel-$(r)-mcs-smp$(STANDIN_SMP_NODES).elf)
export STANDIN_RV_KERNEL STANDIN_RV_KERNELS STANDIN_RV_SMP_KERNEL STANDIN_RV_SMP_KERNELS

STANDIN_RV_SHARED_SRCS := abi.c abi_table.c boot.c bootinfo.c bootinfo_frame.c handoff.c cspace.c \
                          freemem.c inv_cnode.c inv_domain.c inv_tcb.c inv_untyped.c invocation.c \
                          ipc.c fault.c notification.c kassert.c kstring.c sched.c syscall.c thread.c
STANDIN_RV_ARCH_SRCS   := head.S entry.S sbi.c vspace.c trap.c boot_arch.c inv_vspace.c
STANDIN_RV_SMP_SRCS    := smp_arch.c
STANDIN_RV_CONFIGS     := up mcs smp$(STANDIN_SMP_NODES) mcs-smp$(STANDIN_SMP_NODES)
# No libgcc: Debian ships riscv64's only for lp64d, and nothing here needs it.
STANDIN_RV_CFLAGS = $(REPRO_CFLAGS) -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-builtin \
                     -nostdinc -isystem $(call gcc_include,$(STANDIN_RV_CC)) \
                     -fno-pic -fno-pie -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
                     -mno-relax -fno-stack-protector -fno-asynchronous-unwind-tables \
                     -fno-tree-loop-distribute-patterns \
                     -I$(STANDIN_RV_DIR) -I$(STANDIN_DIR) -Itargets/include $(SEL4_ABI_INCLUDE) \
                     -I$(COMMON_DIR) -MMD -MP
# Per configuration (up: non-MCS, mcs: KernelIsMCS, smp4: four harts,
# mcs-smp4: both): objects, flags.
standin_rv_obj_dir = $(STANDIN_RV_OBJ)$(call standin_suffix,$(1))
standin_rv_cflags = $(STANDIN_RV_CFLAGS) -DCONFIG_KERNEL_MCS=$(if $(findstring mcs,$(1)),1,0) \
                    $(if $(findstring smp,$(1)),-DMAX_NUM_NODES=$(STANDIN_SMP_NODES))
standin_rv_objs = $(addprefix $(call standin_rv_obj_dir,$(1))/,$(STANDIN_RV_SHARED_SRCS:.c=.o) \
                      $(if $(findstring mcs,$(1)),$(STANDIN_MCS_C_SRCS:.c=.o)) \
                      $(if $(findstring smp,$(1)),smp.o)) \
                  $(addprefix $(call standin_rv_obj_dir,$(1))/arch/riscv64/,$(patsubst %.S,%.o,$(STANDIN_RV_ARCH_SRCS:.c=.o)) \
                      $(if $(findstring smp,$(1)),$(STANDIN_RV_SMP_SRCS:.c=.o))) \
                  $(call standin_rv_obj_dir,$(1))/common/fmt.o $(call standin_rv_obj_dir,$(1))/abi/sel4_abi_table.o

define standin_rv_config
$(call standin_rv_obj_dir,$(1))/%.o: $(STANDIN_DIR)/%.c | $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(STANDIN_RV_CC) $$(call standin_rv_cflags,$(1)) -c $$< -o $$@
$(call standin_rv_obj_dir,$(1))/arch/riscv64/%.o: $(STANDIN_RV_DIR)/%.c | $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(STANDIN_RV_CC) $$(call standin_rv_cflags,$(1)) -c $$< -o $$@
$(call standin_rv_obj_dir,$(1))/arch/riscv64/%.o: $(STANDIN_RV_DIR)/%.S
	@mkdir -p $$(@D)
	$(STANDIN_RV_CC) $$(call standin_rv_cflags,$(1)) -c $$< -o $$@
$(call standin_rv_obj_dir,$(1))/common/%.o: $(COMMON_DIR)/%.c
	@mkdir -p $$(@D)
	$(STANDIN_RV_CC) $$(call standin_rv_cflags,$(1)) -c $$< -o $$@
$(call standin_rv_obj_dir,$(1))/abi/sel4_abi_table.o: $(SEL4_ABI_C) $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(STANDIN_RV_CC) $$(call standin_rv_cflags,$(1)) -c $$< -o $$@
-include $(patsubst %.o,%.d,$(call standin_rv_objs,$(1)))
endef
$(foreach c,$(STANDIN_RV_CONFIGS),$(eval $(call standin_rv_config,$(c))))

# Where seL4 links its qemu-riscv-virt kernel: 13.0 at physBase + 64 MiB,
# 14.0 on at physBase (right after OpenSBI's 2 MiB). The kernel window maps
# physBase 0x80000000 at 0xffffffff80000000, so a paddr's vaddr is the paddr
# under 0xffffffff (text, not a $(shell), which every make parse would pay).
standin_rv_paddr = $(if $(filter 13,$(firstword $(subst ., ,$(1)))),0x84000000,0x80200000)
standin_rv_link_at = -Wl,--defsym=KERNEL_PADDR=$(call standin_rv_paddr,$(1)) \
                     -Wl,--defsym=KERNEL_VADDR=$(patsubst 0x%,0xffffffff%,$(call standin_rv_paddr,$(1)))

# $(call standin_rv_build,RELEASE,CONFIG)
define standin_rv_build
$(call standin_rv_obj_dir,$(2))/release-$(1)/release.o: $(STANDIN_DIR)/release.c | $(SEL4_ABI_H)
	@mkdir -p $$(@D)
	$(STANDIN_RV_CC) $$(call standin_rv_cflags,$(2)) -DSTANDIN_RELEASE_MAJOR=$(firstword $(subst ., ,$(1))) \
	    -DSTANDIN_RELEASE_NAME='"$(1)"' -c $$< -o $$@
-include $(call standin_rv_obj_dir,$(2))/release-$(1)/release.d

$(STANDIN_RV_OUT)/kernel-$(1)$(call standin_suffix,$(2)).elf: $(call standin_rv_objs,$(2)) \
        $(call standin_rv_obj_dir,$(2))/release-$(1)/release.o $(STANDIN_RV_DIR)/kernel.ld
	@mkdir -p $$(@D)
	$(STANDIN_RV_CC) $(TARGET_LDFLAGS) -T $(STANDIN_RV_DIR)/kernel.ld $(call standin_rv_link_at,$(1)) \
	    $(call standin_rv_objs,$(2)) $(call standin_rv_obj_dir,$(2))/release-$(1)/release.o -o $$@
endef
$(foreach r,$(STANDIN_RV_RELEASES),$(foreach c,$(STANDIN_RV_CONFIGS),$(eval $(call standin_rv_build,$(r),$(c)))))

$(STANDIN_RV_KERNEL): $(STANDIN_RV_OUT)/kernel-13.0.0.elf
	cp $< $@
$(STANDIN_RV_SMP_KERNEL): $(STANDIN_RV_OUT)/kernel-13.0.0-smp$(STANDIN_SMP_NODES).elf
	cp $< $@

.PHONY: standin-riscv64 standin-riscv64-smp
standin-riscv64: $(STANDIN_RV_KERNEL) $(STANDIN_RV_KERNELS) $(STANDIN_RV_SMP_KERNEL) $(STANDIN_RV_SMP_KERNELS)
standin-riscv64-smp: $(STANDIN_RV_SMP_KERNEL)
all: standin-riscv64
