# harness/unit/: host unit tests of the loader's shared core (loader/common),
# built from the same sources the loader and pack-check compile, with ASan
# and UBSan so an out-of-bounds read or an overflow fails the run.

UNIT_BUILD   := $(BUILD)/harness/unit
UNIT_TEST    := $(UNIT_BUILD)/test-common
UNIT_SRCS    := $(wildcard harness/unit/*.c)
UNIT_COMMON  := $(addprefix $(COMMON_DIR)/,elf.c cpio.c plan.c fmt.c fdt_scan.c fdt_header.c scause.c)
UNIT_CFLAGS  := $(HOST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer

$(UNIT_TEST): $(UNIT_SRCS) $(wildcard harness/unit/*.h) $(UNIT_COMMON) $(wildcard $(COMMON_DIR)/*.h) \
              loader/arch/riscv64/libc.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ $(UNIT_SRCS) $(UNIT_COMMON)

.PHONY: unit
unit: $(UNIT_TEST)
	$(UNIT_TEST)
all: $(UNIT_TEST)
