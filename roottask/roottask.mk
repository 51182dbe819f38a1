# Root task: a libsel4-free seL4 root task that checks the kernel's hand-off
# (entry registers, BootInfo, extra bootinfo/DTB, initial caps), prints a
# machine-parseable report (see roottask/README.md), then spawns the
# components of its registry (roottask/components.toml).

# fixtures/components/components.mk sorts before this file in the top-level
# include list and includes it first; the guard keeps it to one reading.
ifndef ROOTTASK_MK_INCLUDED
ROOTTASK_MK_INCLUDED := 1

# The seL4 ABI table (SEL4_ABI_H, SEL4_ABI_C, SEL4_ABI_INCLUDE) is used in
# the rules below, so its fragment is read first.
include targets/abi/abi.mk

# Per-architecture code lives in roottask/arch/<arch>/ (crt0s, linker
# scripts, the entry check, arch.h and trap.h); this file builds AArch64,
# roottask_riscv64.mk the same sources for riscv64.
ROOTTASK_ELF     := $(BUILD)/roottask/roottask.elf
ROOTTASK_OBJDIR  := $(BUILD)/roottask/obj
ROOTTASK_ARCH_DIR := roottask/arch/aarch64
ROOTTASK_LDS     := $(ROOTTASK_ARCH_DIR)/roottask.ld
# The architecture-neutral sources (roottask_riscv64.mk uses them too).
ROOTTASK_SHARED_C_SRCS := roottask/main.c roottask/bootinfo_check.c \
                    roottask/cap_check.c roottask/check.c roottask/print.c \
                    roottask/syscalls.c roottask/invoke.c roottask/alloc.c roottask/map.c \
                    roottask/elf_image.c roottask/spawn.c roottask/spawn_root.c \
                    roottask/run_components.c roottask/fault_message.c roottask/mem.c \
                    $(COMMON_DIR)/fmt.c
ROOTTASK_C_SRCS  := $(ROOTTASK_SHARED_C_SRCS) $(ROOTTASK_ARCH_DIR)/entry_check.c
ROOTTASK_S_SRCS  := $(ROOTTASK_ARCH_DIR)/crt0.S
# The root task's entry object, for fixtures that link their own root tasks.
ROOTTASK_CRT0_OBJ := $(ROOTTASK_OBJDIR)/$(ROOTTASK_ARCH_DIR)/crt0.o
# The kernel's ABI at run time (kernel_abi.c) and the table it points into:
# linked into everything that makes syscalls (root tasks, components).
ROOTTASK_ABI_OBJS := $(ROOTTASK_OBJDIR)/roottask/kernel_abi.o $(ROOTTASK_OBJDIR)/abi/sel4_abi_table.o
# The detection; a root task forced to one ABI links another build of it.
ROOTTASK_DETECT_OBJ := $(ROOTTASK_OBJDIR)/roottask/abi_detect.o
ROOTTASK_COMMON_OBJS := $(patsubst %.c,$(ROOTTASK_OBJDIR)/%.o,$(ROOTTASK_C_SRCS)) \
                    $(patsubst %.S,$(ROOTTASK_OBJDIR)/%.o,$(ROOTTASK_S_SRCS)) $(ROOTTASK_ABI_OBJS)
ROOTTASK_OBJS    := $(ROOTTASK_COMMON_OBJS) $(ROOTTASK_DETECT_OBJ)
ROOTTASK_CFLAGS  = $(TARGET_CFLAGS) -fno-tree-loop-distribute-patterns -I$(ROOTTASK_ARCH_DIR) \
                    -Iroottask -I$(COMMON_DIR) \
                    -Itargets/include $(SEL4_ABI_INCLUDE) -MMD -MP
GEN_COMPONENTS   := roottask/gen_components.py

# Components: a small runtime (entry, start registers, console lines, the
# cap check, hello and done messages) linked into each one, at 0x10000000
# unless the component asks for another base (roottask/component_abi.h).
COMPONENT_RT_OBJS := $(ROOTTASK_OBJDIR)/$(ROOTTASK_ARCH_DIR)/component_crt0.o \
                     $(addprefix $(ROOTTASK_OBJDIR)/roottask/,component_rt/component_rt.o \
                       syscalls.o mem.o print.o invoke.o) \
                     $(ROOTTASK_OBJDIR)/$(COMMON_DIR)/fmt.o $(ROOTTASK_ABI_OBJS)
# What a component that spawns components links besides (system_init).
SPAWN_LIB_OBJS    := $(addprefix $(ROOTTASK_OBJDIR)/roottask/,spawn.o alloc.o map.o elf_image.o \
                       run_components.o fault_message.o)
COMPONENT_LDS     := $(ROOTTASK_ARCH_DIR)/component.ld
COMPONENT_CFLAGS  = $(ROOTTASK_CFLAGS) -Iroottask/component_rt -Iroottask/ipc_pair
SYSTEM_INIT_ELF   := $(BUILD)/roottask/system_init.elf
IPC_PRODUCER_ELF  := $(BUILD)/roottask/ipc_producer.elf
IPC_CONSUMER_ELF  := $(BUILD)/roottask/ipc_consumer.elf

.PHONY: roottask
roottask: $(ROOTTASK_ELF)
all: $(ROOTTASK_ELF)

# Every object may include the generated table header: make it first (the
# dependency files take over from the second build on).
$(ROOTTASK_OBJDIR)/%.o: %.c | $(SEL4_ABI_H)
	@mkdir -p $(dir $@)
	$(CC_TARGET) $(COMPONENT_CFLAGS) -c $< -o $@

$(ROOTTASK_OBJDIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC_TARGET) $(ROOTTASK_CFLAGS) -c $< -o $@

$(ROOTTASK_OBJDIR)/abi/sel4_abi_table.o: $(SEL4_ABI_C) $(SEL4_ABI_H)
	@mkdir -p $(dir $@)
	$(CC_TARGET) $(ROOTTASK_CFLAGS) -c $< -o $@

# $(call link_component,OUT,OBJS[,BASE]): one component ELF, linked at BASE
# (default 0x10000000; distinct bases give each component's entry its own
# address, so a debugger can stop at one component's entry).
define link_component
$(1): $(2) $(COMPONENT_RT_OBJS) $(COMPONENT_LDS)
	@mkdir -p $$(dir $$@)
	$(CC_TARGET) $(TARGET_LDFLAGS) -T $(COMPONENT_LDS) $(if $(3),-Wl$(comma)--defsym=COMPONENT_LINK_BASE=$(3)) \
	    -o $$@ $(COMPONENT_RT_OBJS) $(2) -lgcc
endef
comma := ,
$(eval $(call link_component,$(SYSTEM_INIT_ELF),$(ROOTTASK_OBJDIR)/roottask/system_init/main.o $(SPAWN_LIB_OBJS)))
$(eval $(call link_component,$(IPC_PRODUCER_ELF),$(ROOTTASK_OBJDIR)/roottask/ipc_pair/producer.o,0x11000000))
$(eval $(call link_component,$(IPC_CONSUMER_ELF),$(ROOTTASK_OBJDIR)/roottask/ipc_pair/consumer.o,0x12000000))

# $(call roottask_with_registry,OUT,MANIFEST,DIR,EXTRA_DEPS): the root task
# linked with the registry generated from MANIFEST (generated files in DIR).
# The generator's depfile names every ELF the manifest lists.
define roottask_with_registry
$(3)/components_gen.c $(3)/components_gen.S: $(2) $(GEN_COMPONENTS) $(4)
	@mkdir -p $(3)
	$(PYTHON) $(GEN_COMPONENTS) $(2) --build $(BUILD) --out-c $(3)/components_gen.c \
	    --out-s $(3)/components_gen.S --depfile $(3)/components_gen.d
$(3)/components_gen_c.o: $(3)/components_gen.c roottask/components.h
	$(CC_TARGET) $$(ROOTTASK_CFLAGS) -c $$< -o $$@
$(3)/components_gen_s.o: $(3)/components_gen.S
	$(CC_TARGET) $$(ROOTTASK_CFLAGS) -c $$< -o $$@
$(1): $(ROOTTASK_OBJS) $(3)/components_gen_c.o $(3)/components_gen_s.o $(ROOTTASK_LDS)
	@mkdir -p $$(dir $$@)
	$(CC_TARGET) $(TARGET_LDFLAGS) -T $(ROOTTASK_LDS) -o $$@ $(ROOTTASK_OBJS) \
	    $(3)/components_gen_c.o $(3)/components_gen_s.o -lgcc
-include $(3)/components_gen.d
endef
$(eval $(call roottask_with_registry,$(ROOTTASK_ELF),roottask/components.toml,$(BUILD)/roottask/registry,$(SYSTEM_INIT_ELF) $(IPC_PRODUCER_ELF) $(IPC_CONSUMER_ELF)))

# A root task forced to one ABI, without detection (a mutant: "a root task
# built for another kernel"):
#     make roottask-forced ABI=13.0.0-nonmcs    -> build/roottask/roottask-abi-13.0.0-nonmcs.elf
# ABI = <release>-<mcs|nonmcs>[-up|-smp]; without -up/-smp, numNodes still
# decides SMP. Same components and registry as roottask.elf.
ROOTTASK_FORCED_ABIS := 13.0.0-nonmcs 13.0.0-mcs 16.0.0-nonmcs 16.0.0-mcs
ROOTTASK_REGISTRY_OBJS := $(BUILD)/roottask/registry/components_gen_c.o \
                          $(BUILD)/roottask/registry/components_gen_s.o
$(BUILD)/roottask/forced/%/abi_detect.o: roottask/abi_detect.c $(SEL4_ABI_DIR)/sel4abi.py \
                                        $(SEL4_ABI_DIR)/sel4-abi.toml | $(SEL4_ABI_H)
	@mkdir -p $(dir $@)
	flags=$$($(PYTHON) $(SEL4_ABI_DIR)/sel4abi.py --forced-cflags $*) && \
	    $(CC_TARGET) $(ROOTTASK_CFLAGS) $$flags -c $< -o $@
$(BUILD)/roottask/roottask-abi-%.elf: $(ROOTTASK_COMMON_OBJS) $(BUILD)/roottask/forced/%/abi_detect.o \
                                      $(ROOTTASK_REGISTRY_OBJS) $(ROOTTASK_LDS)
	$(CC_TARGET) $(TARGET_LDFLAGS) -T $(ROOTTASK_LDS) -o $@ $(ROOTTASK_COMMON_OBJS) \
	    $(BUILD)/roottask/forced/$*/abi_detect.o $(ROOTTASK_REGISTRY_OBJS) -lgcc
.PRECIOUS: $(BUILD)/roottask/forced/%/abi_detect.o
.PHONY: roottask-forced
roottask-forced:
	@test -n "$(ABI)" || { echo "roottask-forced: give ABI=<release>-<mcs|nonmcs>[-up|-smp]," \
	    "e.g. ABI=13.0.0-nonmcs" >&2; exit 2; }
	@$(PYTHON) $(SEL4_ABI_DIR)/sel4abi.py --forced-cflags $(ABI) >/dev/null
	$(MAKE) --no-print-directory $(BUILD)/roottask/roottask-abi-$(ABI).elf
all: $(foreach a,$(ROOTTASK_FORCED_ABIS),$(BUILD)/roottask/roottask-abi-$(a).elf)

-include $(ROOTTASK_OBJS:.o=.d) $(COMPONENT_RT_OBJS:.o=.d)

endif
