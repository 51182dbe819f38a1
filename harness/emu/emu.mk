# harness/emu/: the Unicorn suite. emu-check runs a loader image on a model of
# QEMU virt until it enters the kernel and checks the hand-off; the mutant
# loaders (loader/arch/aarch64/mutations.h) show that every check can fail.

EMU_BUILD   := $(BUILD)/harness
EMU_CHECK   := $(EMU_BUILD)/emu-check
EMU_SRCS    := $(wildcard harness/emu/*.c)
EMU_COMMON  := $(COMMON_DIR)/elf.c $(COMMON_DIR)/cpio.c $(COMMON_DIR)/plan.c \
               $(COMMON_DIR)/ptwalk.c $(COMMON_DIR)/fmt.c $(COMMON_DIR)/dtb_parse.c \
               $(COMMON_DIR)/fdt_scan.c $(COMMON_DIR)/dtb_facts.c $(COMMON_DIR)/linux_image.c
EMU_HDRS    := $(wildcard harness/emu/*.h $(COMMON_DIR)/*.h)

$(EMU_CHECK): $(EMU_SRCS) $(EMU_COMMON) $(EMU_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(EMU_SRCS) $(EMU_COMMON) -lunicorn -lfdt

# QEMU's own DTBs, as it writes them for an ELF -kernel: the board differs
# with virtualization=on (GIC, PSCI conduit), so one per starting EL.
EMU_DTB_EL1 := $(EMU_BUILD)/qemu-virt-el1.dtb
EMU_DTB_EL2 := $(EMU_BUILD)/qemu-virt-el2.dtb
$(EMU_DTB_EL1):
	@mkdir -p $(dir $@)
	timeout 20 $(QEMU) -machine virt,dumpdtb=$@ -cpu $(CPU) -m 1024 $(QEMU_NO_DEFAULT_DEVICES) >/dev/null
$(EMU_DTB_EL2):
	@mkdir -p $(dir $@)
	timeout 20 $(QEMU) -machine virt,virtualization=on,dumpdtb=$@ -cpu $(CPU) -m 1024 \
	    $(QEMU_NO_DEFAULT_DEVICES) >/dev/null

# The same for a machine with N CPUs (QEMU -smp N), for an SMP kernel
# (emu-check --qemu-dtb): qemu-virt-el1-smpN.dtb, qemu-virt-el2-smpN.dtb, any
# N (the tests make the one a kernel needs); N = 4 is built with emu.
$(EMU_BUILD)/qemu-virt-el1-smp%.dtb:
	@mkdir -p $(dir $@)
	timeout 20 $(QEMU) -machine virt,dumpdtb=$@ -cpu $(CPU) -m 1024 -smp $* $(QEMU_NO_DEFAULT_DEVICES) >/dev/null
$(EMU_BUILD)/qemu-virt-el2-smp%.dtb:
	@mkdir -p $(dir $@)
	timeout 20 $(QEMU) -machine virt,virtualization=on,dumpdtb=$@ -cpu $(CPU) -m 1024 -smp $* \
	    $(QEMU_NO_DEFAULT_DEVICES) >/dev/null

# The riscv64 model (harness/emu/arch/riscv64): its own CPU, machine, SBI and
# checks; image/payload finding, symbols and RAM helpers shared. emu-check
# hands RISC-V images to it. QEMU's riscv64 virt DTB (3 GiB, one hart, as
# riscv64's machine.mk) is what OpenSBI passes on in a1.
EMU_RV_DIR    := $(EMU_BUILD)/riscv64
EMU_RV_CHECK  := $(EMU_RV_DIR)/emu-check
EMU_RV_SRCS   := $(wildcard harness/emu/arch/riscv64/*.c) harness/emu/image.c harness/emu/symbols.c \
                 harness/emu/strbuf.c harness/emu/json.c harness/emu/ram.c harness/emu/host_file.c
EMU_RV_COMMON := $(COMMON_DIR)/elf.c $(COMMON_DIR)/cpio.c $(COMMON_DIR)/fmt.c $(COMMON_DIR)/sv39walk.c \
                 $(COMMON_DIR)/scause.c $(COMMON_DIR)/linux_image.c
EMU_RV_DTB    := $(EMU_RV_DIR)/qemu-virt.dtb
$(EMU_RV_CHECK): $(EMU_RV_SRCS) $(EMU_RV_COMMON) $(EMU_HDRS) $(wildcard harness/emu/arch/riscv64/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(EMU_RV_SRCS) $(EMU_RV_COMMON) -lunicorn -lfdt
$(EMU_RV_DTB):
	@mkdir -p $(dir $@)
	timeout 20 $(riscv64_QEMU) -machine $(riscv64_MACHINE),dumpdtb=$@ -cpu $(riscv64_CPU) \
	    -m $(riscv64_MEM) -smp 1 -bios none -nographic >/dev/null

.PHONY: emu
emu: $(EMU_CHECK) $(EMU_DTB_EL1) $(EMU_DTB_EL2) $(EMU_BUILD)/qemu-virt-el1-smp4.dtb \
     $(EMU_BUILD)/qemu-virt-el2-smp4.dtb $(EMU_RV_CHECK) $(EMU_RV_DTB)
all: emu

# Mutant loaders: one library per switch of loader/arch/aarch64/mutations.h. Only the
# files that include mutations.h are recompiled with the switch; the rest are
# the normal build's objects.
EMU_MUTANTS       := skip_bss_zero kernel_device write_rootserver wrong_x1 stray_write \
                     caches_off wrong_record secondary_x3 \
                     linux_x1 linux_mmu_on linux_dtb_misaligned linux_dtb_over_2m \
                     linux_image_misplaced linux_initrd_outside_ram
EMU_MUTANTS_DIR   := $(BUILD)/emu/mutants
# The loader sources that name mutations.h (as grep -l would list them), read
# by make itself: no shell on every parse.
EMU_MUTATED_SRCS  := $(foreach f,$(LOADER_SRCS_C) $(LOADER_SRCS_S),$(if $(findstring mutations.h,$(file <$(f))),$(f)))
EMU_SHARED_OBJS   := $(filter-out $(patsubst %,$(LOADER_BUILD)/obj/%.o,$(basename $(EMU_MUTATED_SRCS))),\
                                  $(LOADER_OBJS))

define EMU_MUTANT_RULES
$(EMU_MUTANTS_DIR)/$(1)/obj/%.o: %.c $(LIBFDT_ARM64) $(wildcard loader/arch/aarch64/*.h $(COMMON_DIR)/*.h)
	@mkdir -p $$(dir $$@)
	$(CC_TARGET) $$(LOADER_CFLAGS) -DBC_MUTATE_$(2) -c $$< -o $$@
$(EMU_MUTANTS_DIR)/$(1)/obj/%.o: %.S loader/arch/aarch64/mutations.h
	@mkdir -p $$(dir $$@)
	$(CC_TARGET) -DBC_MUTATE_$(2) -c $$< -o $$@
$(EMU_MUTANTS_DIR)/$(1)/loader.a: $(EMU_SHARED_OBJS) \
        $(patsubst %,$(EMU_MUTANTS_DIR)/$(1)/obj/%.o,$(basename $(EMU_MUTATED_SRCS)))
	rm -f $$@
	$(CROSS)ar rcs $$@ $$^
endef
# Upper case without a shell per mutant (the Makefile is read on every make image).
emu_upper = $(subst a,A,$(subst b,B,$(subst c,C,$(subst d,D,$(subst e,E,$(subst f,F,$(subst g,G,$(subst h,H,$(subst i,I,$(subst j,J,$(subst k,K,$(subst l,L,$(subst m,M,$(subst n,N,$(subst o,O,$(subst p,P,$(subst q,Q,$(subst r,R,$(subst s,S,$(subst t,T,$(subst u,U,$(subst v,V,$(subst w,W,$(subst x,X,$(subst y,Y,$(subst z,Z,$(1)))))))))))))))))))))))))))
$(foreach m,$(EMU_MUTANTS),$(eval $(call EMU_MUTANT_RULES,$(m),$(call emu_upper,$(m)))))

EMU_MUTANT_LIBS := $(patsubst %,$(EMU_MUTANTS_DIR)/%/loader.a,$(EMU_MUTANTS))
.PHONY: emu-mutants
emu-mutants: $(EMU_MUTANT_LIBS)
all: emu-mutants

# Packs KERNEL/ROOTTASK/DTB into OUT with the MUTANT loader (the pack step reads
# LOADER_LIB from its environment; LOADER_PACK passes this target's value).
.PHONY: emu-mutant-image
emu-mutant-image: LOADER_LIB = $(EMU_MUTANTS_DIR)/$(MUTANT)/loader.a
emu-mutant-image: $(EMU_MUTANTS_DIR)/$(MUTANT)/loader.a $(LOADER_PACK_DEPS)
	@test -n "$(MUTANT)" || { echo "emu-mutant-image: MUTANT=<one of $(EMU_MUTANTS)>"; exit 1; }
	$(LOADER_PACK) "$(KERNEL)" "$(ROOTTASK)" "$(DTB)" "$(OUT)"

# The same runner under ASan + UBSan, for `make verify-sanitize` (which
# `make verify` runs): sanitize_emu.py drives it over real images.
EMU_CHECK_SANITIZED := $(BUILD)/sanitize/emu-check
$(EMU_CHECK_SANITIZED): $(EMU_SRCS) $(EMU_COMMON) $(EMU_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -o $@ $(EMU_SRCS) $(EMU_COMMON) -lunicorn -lfdt

# Built with everything else (not when make verify starts), so that a warm
# build's verify only runs it.
all: $(EMU_CHECK_SANITIZED)

.PHONY: verify-sanitize-emu
verify-sanitize-emu: $(EMU_CHECK_SANITIZED) all
	$(PYTHON) harness/emu/sanitize_emu.py $(EMU_CHECK_SANITIZED) $(abspath $(BUILD))
verify-sanitize: verify-sanitize-emu
