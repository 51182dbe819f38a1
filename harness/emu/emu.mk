# harness/emu/: the Unicorn suite. emu-check runs a loader image on a model of
# QEMU virt until it enters the kernel and checks the hand-off; the mutant
# loaders (loader/src/mutations.h) show that every check can fail.

EMU_BUILD   := $(BUILD)/harness
EMU_CHECK   := $(EMU_BUILD)/emu-check
EMU_SRCS    := $(wildcard harness/emu/*.c)
EMU_COMMON  := $(COMMON_DIR)/elf.c $(COMMON_DIR)/cpio.c $(COMMON_DIR)/plan.c \
               $(COMMON_DIR)/ptwalk.c $(COMMON_DIR)/fmt.c
EMU_HDRS    := $(wildcard harness/emu/*.h $(COMMON_DIR)/*.h targets/machines/*.h)

$(EMU_CHECK): $(EMU_SRCS) $(EMU_COMMON) $(EMU_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(EMU_SRCS) $(EMU_COMMON) -lunicorn -lfdt

# QEMU's own DTBs, as it writes them for an ELF -kernel: the board differs
# with virtualization=on (GIC, PSCI conduit), so one per starting EL.
EMU_DTB_EL1 := $(EMU_BUILD)/qemu-virt-el1.dtb
EMU_DTB_EL2 := $(EMU_BUILD)/qemu-virt-el2.dtb
$(EMU_DTB_EL1):
	@mkdir -p $(dir $@)
	timeout 20 $(QEMU) -machine virt,dumpdtb=$@ -cpu $(CPU) -m 1024 -display none >/dev/null 2>&1
$(EMU_DTB_EL2):
	@mkdir -p $(dir $@)
	timeout 20 $(QEMU) -machine virt,virtualization=on,dumpdtb=$@ -cpu $(CPU) -m 1024 \
	    -display none >/dev/null 2>&1

.PHONY: emu
emu: $(EMU_CHECK) $(EMU_DTB_EL1) $(EMU_DTB_EL2)
all: emu
