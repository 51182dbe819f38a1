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

# The pictures docs/ shows, made from a real run: `make check` on the altloader
# image whose DTB lies inside the root task, rendered by headless Chromium
# (docs/report.md).
DOCS_IMAGES_DIR ?= docs/images

.PHONY: docs-images
docs-images: all
	$(PYTHON) harness/docs_images.py --build "$(abspath $(BUILD))" --out "$(DOCS_IMAGES_DIR)"
