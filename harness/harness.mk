# harness/: the pytest driver. verify fails when pytest fails, on a
# regression against reports/baseline.json (harness/regress.py; `make
# baseline` accepts a run), and when the host C under ASan + UBSan
# (make verify-sanitize) reports anything.
#
# The tests run on PYTEST_WORKERS pytest-xdist workers (0: in one process).
# --dist loadgroup keeps the tests marked with one xdist_group (those that
# read one cached boot) on one worker; images and boots shared more widely
# are made once per run in a cache every worker sees (bootcheck/pack/runcache.py).
# More workers than cores pays: many tests wait (for QEMU, gdb, LAVA). On 2
# cores, 4 workers beat 3 in 5 of 8 interleaved pairs of whole runs (mean
# 117 s against 121 s; the machine's noise is about 10%).
# verify-quick is the developers' inner loop: every test but the `slow` tier
# (pytest.ini), no sanitizer pass.

PYTEST := $(PYTHON) -m pytest
REPORTS := reports
PYTEST_WORKERS ?= 4
PYTEST_XDIST = $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadgroup)
SANITIZE_LOG = $(abspath $(BUILD))/verify-sanitize.log

# Compiled Python (the suite's modules, pytest's rewritten test modules, the
# CLI and gdb scripts every child process imports) is kept under
# build/pycache, also when the environment says PYTHONDONTWRITEBYTECODE:
# without it each of the suite's hundreds of Python starts compiles
# everything it imports again, and each pytest worker rewrites every test
# module's asserts again (about 1 CPU-s per worker). The source tree stays
# free of __pycache__.
PYCACHE = $(abspath $(BUILD))/pycache

# glibc's malloc on transparent huge pages for every process of the run
# (glibc 2.35 and later; with THP off, or an older glibc, nothing changes). A
# page fault costs about 17 us on this machine class (a PVM guest), and a
# QEMU start takes about 5,300 of them, mostly malloc's heap growing 4 KiB at
# a time: with the tunable 3,100. Measured: a stand-in boot 0.153 -> 0.136
# CPU-s; the whole of make verify 222 -> 196 CPU-s, 2 min 22 -> 2 min 05.
# A GLIBC_TUNABLES of the caller's is kept (it comes first).
MALLOC_TUNABLES = $${GLIBC_TUNABLES:+$$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1

# $(call run_pytest,extra pytest arguments)
define run_pytest
cd harness && PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX="$(PYCACHE)" \
    GLIBC_TUNABLES="$(MALLOC_TUNABLES)" \
    SEL4_KERNEL="$(abspath $(SEL4_KERNEL))" BUILD="$(abspath $(BUILD))" \
    SEL4_SMP_KERNEL="$(if $(SEL4_SMP_KERNEL),$(abspath $(SEL4_SMP_KERNEL)))" \
    IMAGE="$(if $(IMAGE),$(abspath $(IMAGE)))" \
    IMAGE_KERNEL="$(if $(filter command line,$(origin KERNEL)),$(abspath $(KERNEL)))" \
    IMAGE_ROOTTASK="$(if $(filter command line,$(origin ROOTTASK)),$(abspath $(ROOTTASK)))" \
    IMAGE_DTB="$(if $(filter command line,$(origin DTB)),$(abspath $(DTB)))" \
    $(PYTEST) $(PYTEST_XDIST) --junitxml=../$(REPORTS)/junit.xml $(1) $(PYTEST_ARGS)
endef

# The sanitizer pass runs beside pytest (it is mostly waiting for its own
# processes, as the suite is); its output follows pytest's. A whole default
# run (no PYTEST_ARGS, no real kernel or image) gives regress.py its wall
# time for the cost trend (bootcheck/cost/costtrend.py).
VERIFY_TREND = $(if $(strip $(PYTEST_ARGS)$(SEL4_KERNEL)$(SEL4_SMP_KERNEL)$(IMAGE)),,\
    --started $$started --load-before $$load --workers $(PYTEST_WORKERS))
.PHONY: verify verify-quick
# Each stage ends with one line, `verify: [i/3] STAGE: exit N, S s` (pytest
# and the sanitizers print their own progress while they run).
SINCE = $$(echo "$$(date +%s.%N) $(1)" | awk '{printf "%.1f", $$1 - $$2}')
verify: all
	@mkdir -p $(REPORTS)
	@started=$$(date +%s.%N); load=$$(cut -d' ' -f1 /proc/loadavg); \
	echo "verify: [1/3] pytest ($(PYTEST_WORKERS) workers) and [2/3] make verify-sanitize beside it ..."; \
	( t=$$(date +%s.%N); $(MAKE) --no-print-directory verify-sanitize > $(SANITIZE_LOG) 2>&1; s=$$?; \
	  echo "verify: [2/3] make verify-sanitize: exit $$s, $(call SINCE,$$t) s" >> $(SANITIZE_LOG); exit $$s ) & \
	sanitize=$$!; \
	$(call run_pytest,); status=$$?; \
	    echo "verify: [1/3] pytest: exit $$status, $(call SINCE,$$started) s"; \
	    wait $$sanitize; s=$$?; cat $(SANITIZE_LOG); \
	    [ $$s -eq 0 ] || { echo "verify: make verify-sanitize failed (exit $$s)"; [ $$status -ne 0 ] || status=1; }; \
	    t=$$(date +%s.%N); $(PYTHON) regress.py check $(VERIFY_TREND); r=$$?; \
	    echo "verify: [3/3] regression check: exit $$r, $(call SINCE,$$t) s"; \
	    [ $$r -eq 0 ] || { [ $$status -ne 0 ] || status=1; }; \
	    exit $$status

verify-quick: all
	@mkdir -p $(REPORTS)
	@started=$$(date +%s.%N); \
	$(call run_pytest,-m "not slow"); status=$$?; \
	    echo "verify-quick: [1/2] pytest: exit $$status, $(call SINCE,$$started) s"; \
	    t=$$(date +%s.%N); $(PYTHON) regress.py check; r=$$?; \
	    echo "verify-quick: [2/2] regression check: exit $$r, $(call SINCE,$$t) s"; \
	    [ $$r -eq 0 ] || { [ $$status -ne 0 ] || status=1; }; \
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
