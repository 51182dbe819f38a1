# The root task and its components for riscv64 (seL4 on qemu-riscv-virt):
# the same shared sources as roottask.mk with roottask/arch/riscv64/, built
# with riscv64-linux-gnu-gcc into build/roottask/riscv64/:
#     make roottask-riscv64   -> build/roottask/riscv64/roottask.elf,
#                                system_init.elf, ipc_producer.elf, ipc_consumer.elf
#     make roottask-riscv64-chain-fault (below)
# (also part of `make all`). Soft-float (lp64, no F/D): seL4 13.0.0 turns the
# FPU off, so no FP instruction may appear; Debian's riscv64 libgcc is
# hard-float, so nothing here links libgcc. No linker relaxation: crt0 sets
# no gp.

include roottask/roottask.mk

RV_CROSS          ?= riscv64-linux-gnu-
RV_CC             := $(RV_CROSS)gcc
RV_TARGET_INCLUDE = $(call gcc_include,$(RV_CC))
RV_TARGET_CFLAGS  = $(REPRO_CFLAGS) -std=c11 -Wall -Wextra -Werror -O2 -g -ffreestanding -fno-builtin \
                     -nostdinc -isystem $(RV_TARGET_INCLUDE) \
                     -fno-pic -fno-pie -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany \
                     -mno-relax -msmall-data-limit=0 -fno-stack-protector \
                     -fno-asynchronous-unwind-tables
RV_TARGET_LDFLAGS := $(TARGET_LDFLAGS) -Wl,--no-relax

RV_ROOTTASK_DIR      := $(BUILD)/roottask/riscv64
RV_ROOTTASK_ELF      := $(RV_ROOTTASK_DIR)/roottask.elf
RV_ROOTTASK_OBJDIR   := $(RV_ROOTTASK_DIR)/obj
RV_ROOTTASK_ARCH_DIR := roottask/arch/riscv64
RV_ROOTTASK_LDS      := $(RV_ROOTTASK_ARCH_DIR)/roottask.ld
RV_ROOTTASK_CFLAGS   = $(RV_TARGET_CFLAGS) -fno-tree-loop-distribute-patterns -I$(RV_ROOTTASK_ARCH_DIR) \
                        -Iroottask -I$(COMMON_DIR) -Itargets/include $(SEL4_ABI_INCLUDE) -MMD -MP
RV_COMPONENT_CFLAGS  = $(RV_ROOTTASK_CFLAGS) -Iroottask/component_rt -Iroottask/ipc_pair
RV_ROOTTASK_ABI_OBJS := $(RV_ROOTTASK_OBJDIR)/roottask/kernel_abi.o $(RV_ROOTTASK_OBJDIR)/abi/sel4_abi_table.o
RV_ROOTTASK_OBJS     := $(patsubst %.c,$(RV_ROOTTASK_OBJDIR)/%.o,$(ROOTTASK_SHARED_C_SRCS) \
                          $(RV_ROOTTASK_ARCH_DIR)/entry_check.c roottask/abi_detect.c) \
                        $(RV_ROOTTASK_OBJDIR)/$(RV_ROOTTASK_ARCH_DIR)/crt0.o $(RV_ROOTTASK_ABI_OBJS)
RV_COMPONENT_RT_OBJS := $(RV_ROOTTASK_OBJDIR)/$(RV_ROOTTASK_ARCH_DIR)/component_crt0.o \
                        $(addprefix $(RV_ROOTTASK_OBJDIR)/roottask/,component_rt/component_rt.o \
                          syscalls.o mem.o print.o invoke.o) \
                        $(RV_ROOTTASK_OBJDIR)/$(COMMON_DIR)/fmt.o $(RV_ROOTTASK_ABI_OBJS)
RV_SPAWN_LIB_OBJS    := $(addprefix $(RV_ROOTTASK_OBJDIR)/roottask/,spawn.o alloc.o map.o elf_image.o \
                          run_components.o fault_message.o)
RV_COMPONENT_LDS     := $(RV_ROOTTASK_ARCH_DIR)/component.ld
RV_SYSTEM_INIT_ELF   := $(RV_ROOTTASK_DIR)/system_init.elf
RV_IPC_PRODUCER_ELF  := $(RV_ROOTTASK_DIR)/ipc_producer.elf
RV_IPC_CONSUMER_ELF  := $(RV_ROOTTASK_DIR)/ipc_consumer.elf
RV_REGISTRY_DIR      := $(RV_ROOTTASK_DIR)/registry

.PHONY: roottask-riscv64
roottask-riscv64: $(RV_ROOTTASK_ELF)
all: $(RV_ROOTTASK_ELF)

$(RV_ROOTTASK_OBJDIR)/%.o: %.c | $(SEL4_ABI_H)
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_COMPONENT_CFLAGS) -c $< -o $@

$(RV_ROOTTASK_OBJDIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_ROOTTASK_CFLAGS) -c $< -o $@

$(RV_ROOTTASK_OBJDIR)/abi/sel4_abi_table.o: $(SEL4_ABI_C) $(SEL4_ABI_H)
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_ROOTTASK_CFLAGS) -c $< -o $@

# $(call rv_link_component,OUT,OBJS[,BASE]): as link_component (roottask.mk).
define rv_link_component
$(1): $(2) $(RV_COMPONENT_RT_OBJS) $(RV_COMPONENT_LDS)
	@mkdir -p $$(dir $$@)
	$(RV_CC) $(RV_TARGET_LDFLAGS) -T $(RV_COMPONENT_LDS) $(if $(3),-Wl$(comma)--defsym=COMPONENT_LINK_BASE=$(3)) \
	    -o $$@ $(RV_COMPONENT_RT_OBJS) $(2)
endef
$(eval $(call rv_link_component,$(RV_SYSTEM_INIT_ELF),$(RV_ROOTTASK_OBJDIR)/roottask/system_init/main.o $(RV_SPAWN_LIB_OBJS)))
$(eval $(call rv_link_component,$(RV_IPC_PRODUCER_ELF),$(RV_ROOTTASK_OBJDIR)/roottask/ipc_pair/producer.o,0x11000000))
$(eval $(call rv_link_component,$(RV_IPC_CONSUMER_ELF),$(RV_ROOTTASK_OBJDIR)/roottask/ipc_pair/consumer.o,0x12000000))

# $(call rv_roottask_with_registry,OUT,MANIFEST,DIR,ELFS): as
# roottask_with_registry (roottask.mk), with the manifest's ELFs taken from
# their riscv64 builds: ${BUILD}/roottask/<name>.elf from
# build/roottask/riscv64/, ${BUILD}/fixtures/components/<name>.elf from
# build/roottask/riscv64/fixtures/ (a copy of the manifest in DIR says so).
define rv_roottask_with_registry
$(3)/manifest.toml: $(2)
	@mkdir -p $(3)
	sed -e 's|$$$${BUILD}/roottask/|$$$${BUILD}/roottask/riscv64/|' \
	    -e 's|$$$${BUILD}/fixtures/components/|$$$${BUILD}/roottask/riscv64/fixtures/|' $$< > $$@
$(3)/components_gen.c $(3)/components_gen.S: $(3)/manifest.toml $(GEN_COMPONENTS) $(4)
	$(PYTHON) $(GEN_COMPONENTS) $$< --build $(BUILD) --out-c $(3)/components_gen.c \
	    --out-s $(3)/components_gen.S --depfile $(3)/components_gen.d
$(3)/components_gen_c.o: $(3)/components_gen.c roottask/components.h
	$(RV_CC) $$(RV_ROOTTASK_CFLAGS) -c $$< -o $$@
$(3)/components_gen_s.o: $(3)/components_gen.S
	$(RV_CC) $$(RV_ROOTTASK_CFLAGS) -c $$< -o $$@
$(1): $(RV_ROOTTASK_OBJS) $(3)/components_gen_c.o $(3)/components_gen_s.o $(RV_ROOTTASK_LDS)
	@mkdir -p $$(dir $$@)
	$(RV_CC) $(RV_TARGET_LDFLAGS) -T $(RV_ROOTTASK_LDS) -o $$@ $(RV_ROOTTASK_OBJS) \
	    $(3)/components_gen_c.o $(3)/components_gen_s.o
-include $(3)/components_gen.d
endef
$(eval $(call rv_roottask_with_registry,$(RV_ROOTTASK_ELF),roottask/components.toml,$(RV_REGISTRY_DIR),$(RV_SYSTEM_INIT_ELF) $(RV_IPC_PRODUCER_ELF) $(RV_IPC_CONSUMER_ELF)))

# The chain with a component that faults (fixtures/components/chain_fault.toml,
# faulty.c): the fault report on riscv64.
#     make roottask-riscv64-chain-fault  -> build/roottask/riscv64/roottask-chain-fault.elf
RV_FIXTURES := $(RV_ROOTTASK_DIR)/fixtures
RV_FAULTY_ELF := $(RV_FIXTURES)/faulty.elf
RV_ROOTTASK_CHAIN_FAULT := $(RV_ROOTTASK_DIR)/roottask-chain-fault.elf
$(RV_FIXTURES)/%.o: fixtures/components/%.c | $(SEL4_ABI_H)
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_COMPONENT_CFLAGS) -c $< -o $@
$(eval $(call rv_link_component,$(RV_FAULTY_ELF),$(RV_FIXTURES)/faulty.o,0x13000000))
$(eval $(call rv_roottask_with_registry,$(RV_ROOTTASK_CHAIN_FAULT),fixtures/components/chain_fault.toml,$(RV_FIXTURES)/chain-fault,$(RV_SYSTEM_INIT_ELF) $(RV_IPC_PRODUCER_ELF) $(RV_IPC_CONSUMER_ELF) $(RV_FAULTY_ELF)))
.PHONY: roottask-riscv64-chain-fault
roottask-riscv64-chain-fault: $(RV_ROOTTASK_CHAIN_FAULT)
all: $(RV_ROOTTASK_CHAIN_FAULT)

-include $(RV_ROOTTASK_OBJS:.o=.d) $(RV_COMPONENT_RT_OBJS:.o=.d) $(RV_SPAWN_LIB_OBJS:.o=.d)

# errprobe (fixtures/components/errprobe/) for riscv64: the invocation errors
# of the spawn path, RISC-V's VSpace invocations among them
# (test_riscv_chain.py).
#     make roottask-riscv64-errprobe  -> build/roottask/riscv64/fixtures/errprobe.elf
RV_ERRPROBE_ELF := $(RV_FIXTURES)/errprobe.elf
RV_ERRPROBE_OBJS := $(RV_FIXTURES)/errprobe/main.o $(RV_ROOTTASK_OBJDIR)/$(RV_ROOTTASK_ARCH_DIR)/crt0.o \
                    $(addprefix $(RV_ROOTTASK_OBJDIR)/roottask/,print.o syscalls.o invoke.o alloc.o map.o \
                      mem.o abi_detect.o) $(RV_ROOTTASK_OBJDIR)/$(COMMON_DIR)/fmt.o $(RV_ROOTTASK_ABI_OBJS)
$(RV_ERRPROBE_ELF): $(RV_ERRPROBE_OBJS) $(RV_ROOTTASK_LDS)
	$(RV_CC) $(RV_TARGET_LDFLAGS) -T $(RV_ROOTTASK_LDS) -o $@ $(RV_ERRPROBE_OBJS)
.PHONY: roottask-riscv64-errprobe
roottask-riscv64-errprobe: $(RV_ERRPROBE_ELF)
all: $(RV_ERRPROBE_ELF)
