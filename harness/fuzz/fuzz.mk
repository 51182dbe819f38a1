# harness/fuzz/: libFuzzer targets over the loader's shared C (ELF validator,
# CPIO reader, planner, DTB parsing), and plain sanitizer builds that replay
# their regression inputs in `make verify`.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="elf cpio plan dtb override"] [FUZZ_MAX_LEN=bytes]
#   make verify-sanitize      pack-check and the replays under ASan + UBSan

FUZZ_DIR      := harness/fuzz
FUZZ_BUILD    := $(BUILD)/fuzz
SANITIZE_BUILD := $(BUILD)/sanitize
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_TARGETS  ?= elf cpio plan dtb override
FUZZ_ALL      := elf cpio plan dtb override

# The shared sources each target exercises, and the libraries it needs.
FUZZ_SRCS_elf  := elf.c fmt.c
FUZZ_SRCS_cpio := cpio.c fmt.c
FUZZ_SRCS_plan := elf.c plan.c fmt.c
FUZZ_SRCS_dtb  := dtb_parse.c dtb_facts.c fdt_scan.c fmt.c
FUZZ_LIBS_dtb  := -lfdt
FUZZ_SRCS_override := override_parse.c fmt.c
fuzz_srcs = $(FUZZ_DIR)/fuzz_$(1).c $(addprefix $(COMMON_DIR)/,$(FUZZ_SRCS_$(1)))
FUZZ_HDRS := $(wildcard $(FUZZ_DIR)/*.h $(COMMON_DIR)/*.h)

FUZZ_CFLAGS     := -std=c11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer \
                   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
SANITIZE_CFLAGS := -std=c11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer \
                   -fsanitize=address,undefined -fno-sanitize-recover=all

$(FUZZ_BUILD)/fuzz-%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_HDRS) $(wildcard $(COMMON_DIR)/*.c)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(call fuzz_srcs,$*) $(FUZZ_LIBS_$*)

# Replays use the host gcc, so `make verify` needs no clang.
$(SANITIZE_BUILD)/replay-%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/replay_main.c $(FUZZ_HDRS) \
                            $(wildcard $(COMMON_DIR)/*.c)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(SANITIZE_CFLAGS) -o $@ $(FUZZ_DIR)/replay_main.c $(call fuzz_srcs,$*) $(FUZZ_LIBS_$*)

# The stand-in kernel is used when it has been built, but not required: seeds
# are only starting points.
FUZZ_SEEDS_STAMP := $(FUZZ_BUILD)/seeds/.stamp
$(FUZZ_SEEDS_STAMP): $(FUZZ_DIR)/make_seeds.py $(PROBE_EL1) $(PROBE_HYP) $(VIRT_DTB) \
                     $(BUILD)/roottask/roottask.elf $(BROKEN_MANIFEST)
	OBJCOPY=$(OBJCOPY) $(PYTHON) $(FUZZ_DIR)/make_seeds.py $(BUILD) $(FUZZ_BUILD)/seeds
	@touch $@

SANITIZE_REPLAYS := $(addprefix $(SANITIZE_BUILD)/replay-,$(FUZZ_ALL))

.PHONY: fuzz fuzz-build fuzz-replays verify-sanitize
fuzz-build: $(addprefix $(FUZZ_BUILD)/fuzz-,$(FUZZ_TARGETS)) $(FUZZ_SEEDS_STAMP)
fuzz: fuzz-build
	$(PYTHON) $(FUZZ_DIR)/run_fuzz.py $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_TARGETS)

# Built with everything else: test_fuzz_regressions.py runs them on the
# regression inputs and the seeds.
fuzz-replays: $(SANITIZE_REPLAYS) $(FUZZ_SEEDS_STAMP)
all: fuzz-replays

# pack-check, built from the same sources as $(PACK_CHECK) but sanitized.
$(SANITIZE_BUILD)/pack-check: $(wildcard loader/host/*.c loader/host/*.h $(COMMON_DIR)/*.c $(COMMON_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(SANITIZE_CFLAGS) -o $@ $(wildcard loader/host/*.c) $(wildcard $(COMMON_DIR)/*.c) -lfdt

all: $(SANITIZE_BUILD)/pack-check

# Other host C (unit tests, the Unicorn runner) can join by adding
# prerequisites to verify-sanitize in their own fragments.
verify-sanitize: $(SANITIZE_BUILD)/pack-check fuzz-replays $(BROKEN_MANIFEST)
	$(LOADER_PACK_ENV) $(PYTHON) $(FUZZ_DIR)/sanitize_run.py $(BUILD) $(SANITIZE_BUILD) $(FUZZ_DIR)/regressions
