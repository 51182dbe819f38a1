# harness/: the pytest driver. verify fails when pytest fails, on a
# regression against reports/baseline.json (harness/regress.py; `make
# baseline` accepts a run), and when the host C under ASan + UBSan
# (make verify-sanitize) reports anything.

PYTEST := $(PYTHON) -m pytest
REPORTS := reports

.PHONY: verify
verify: all
	@mkdir -p $(REPORTS)
	cd harness && SEL4_KERNEL="$(abspath $(SEL4_KERNEL))" BUILD="$(abspath $(BUILD))" \
	    SEL4_SMP_KERNEL="$(if $(SEL4_SMP_KERNEL),$(abspath $(SEL4_SMP_KERNEL)))" \
	    IMAGE="$(if $(IMAGE),$(abspath $(IMAGE)))" \
	    IMAGE_KERNEL="$(if $(filter command line,$(origin KERNEL)),$(abspath $(KERNEL)))" \
	    IMAGE_ROOTTASK="$(if $(filter command line,$(origin ROOTTASK)),$(abspath $(ROOTTASK)))" \
	    IMAGE_DTB="$(if $(filter command line,$(origin DTB)),$(abspath $(DTB)))" \
	    $(PYTEST) --junitxml=../$(REPORTS)/junit.xml $(PYTEST_ARGS); status=$$?; \
	    $(PYTHON) regress.py check || { [ $$status -ne 0 ] || status=1; }; \
	    $(MAKE) -C .. --no-print-directory verify-sanitize || { [ $$status -ne 0 ] || status=1; }; \
	    exit $$status

# bootcheck's command line: build/bin/bootcheck check IMAGE ... (--help).
BOOTCHECK_BIN := $(BUILD)/bin/bootcheck
$(BOOTCHECK_BIN): harness/harness.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' '#!/bin/sh' \
	    '# bootcheck: a verdict on a loader image against seL4'"'"'s boot contract (see --help).' \
	    'export PYTHONPATH="$(abspath harness)$${PYTHONPATH:+:$$PYTHONPATH}"' \
	    'export BUILD="$${BUILD:-$(abspath $(BUILD))}"' \
	    'exec $(PYTHON) -m bootcheck.cli "$$@"' > $@
	@chmod +x $@
all: $(BOOTCHECK_BIN)

# make check IMAGE=their-loader.elf [KERNEL=] [ROOTTASK=] [DTB=] [MACHINE=] [CPU=] [MEM=]
# KERNEL/ROOTTASK/DTB/MACHINE are passed only when given on the command line
# (their defaults serve make image and make run).
.PHONY: check
check: all
	@test -n "$(IMAGE)" || { echo "make check: IMAGE=path/to/loader-image.elf is required" >&2; exit 2; }
	$(BOOTCHECK_BIN) check "$(IMAGE)" \
	    $(if $(filter command line,$(origin KERNEL)),--kernel "$(KERNEL)") \
	    $(if $(filter command line,$(origin ROOTTASK)),--roottask "$(ROOTTASK)") \
	    $(if $(filter command line,$(origin DTB)),--dtb "$(DTB)") \
	    $(if $(filter command line,$(origin MACHINE)),--machine "$(MACHINE)") \
	    $(if $(CPUS),--cpus "$(CPUS)") \
	    --cpu "$(CPU)" --mem "$(MEM)"
