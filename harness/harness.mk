# harness/: the pytest driver (and, later, the Unicorn and GDB harnesses).

PYTEST := $(PYTHON) -m pytest
REPORTS := reports

.PHONY: verify
verify: all
	@mkdir -p $(REPORTS)
	cd harness && SEL4_KERNEL="$(abspath $(SEL4_KERNEL))" BUILD="$(abspath $(BUILD))" \
	    $(PYTEST) --junitxml=../$(REPORTS)/junit.xml $(PYTEST_ARGS)
