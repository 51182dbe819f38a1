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
	    $(PYTEST) --junitxml=../$(REPORTS)/junit.xml $(PYTEST_ARGS); status=$$?; \
	    $(PYTHON) regress.py check || { [ $$status -ne 0 ] || status=1; }; \
	    $(MAKE) -C .. --no-print-directory verify-sanitize || { [ $$status -ne 0 ] || status=1; }; \
	    exit $$status
