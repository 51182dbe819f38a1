# make soak [SOAK_RUNS=20] [PYTEST_ARGS=...]: the full suite SOAK_RUNS times,
# one JUnit file per run under reports/soak/, then every test whose outcome
# differed between runs (harness/soak.py).

SOAK_RUNS ?= 20

.PHONY: soak
soak: all
	cd harness && SEL4_KERNEL="$(abspath $(SEL4_KERNEL))" BUILD="$(abspath $(BUILD))" \
	    $(PYTHON) soak.py $(SOAK_RUNS) ../$(REPORTS)/soak $(PYTEST_ARGS)
