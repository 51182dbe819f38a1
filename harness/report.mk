# harness/report.mk: the regression baseline and the boot-cost benchmark.
# `make verify` (harness.mk) writes reports/ and checks them against
# reports/baseline.json; these targets accept a run and measure boot cost.

OTHER_IMAGE  ?=
OTHER_KERNEL ?=
BENCH_VERIFY ?=

.PHONY: baseline bench

# Accepts the last `make verify` run (reports/results.json) as the baseline.
baseline:
	$(PYTHON) harness/regress.py accept

bench: all
	$(PYTHON) harness/bench.py --build "$(abspath $(BUILD))" \
	    $(if $(SEL4_KERNEL),--sel4-kernel "$(abspath $(firstword $(SEL4_KERNEL)))") \
	    $(if $(OTHER_IMAGE),--other-image "$(abspath $(OTHER_IMAGE))") \
	    $(if $(OTHER_KERNEL),--other-kernel "$(abspath $(OTHER_KERNEL))") \
	    $(if $(BENCH_VERIFY),--time-verify)
