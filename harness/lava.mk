# harness/lava.mk: the suite on LAVA (Linaro's Automated Validation
# Architecture). Jobs are generated from scenarios/*.toml
# (harness/bootcheck/lava_jobs.py), run by LAVA's own dispatcher or a LAVA
# instance, and their results come back as bootcheck's reports
# (harness/bootcheck/lava_results.py). README "Running on LAVA".
#
#   make lava-jobs   [IMAGE=... | KERNEL=... ROOTTASK=...] [DTB=] [MACHINE=] [OUT=reports/lava] [URL_BASE=http://...]
#   make lava-report JOB_LOG="lava-run.log ..." [OUT=reports/lava]

LAVA_OUT := $(if $(filter command line,$(origin OUT)),$(OUT),$(REPORTS)/lava)
URL_BASE ?=
JOB_LOG  ?=
LAVA_PY  := cd harness && BUILD="$(abspath $(BUILD))" $(PYTHON) -m

.PHONY: lava-jobs lava-report
lava-jobs: all
	$(LAVA_PY) bootcheck.lava_jobs --out "$(abspath $(LAVA_OUT))" \
	    $(if $(IMAGE),--image "$(abspath $(IMAGE))") \
	    $(if $(filter command line,$(origin KERNEL)),--kernel "$(abspath $(KERNEL))") \
	    $(if $(filter command line,$(origin ROOTTASK)),--roottask "$(abspath $(ROOTTASK))") \
	    $(if $(filter command line,$(origin DTB)),--dtb "$(abspath $(DTB))") \
	    $(if $(filter command line,$(origin MACHINE)),--machine "$(MACHINE)") \
	    $(if $(URL_BASE),--url-base "$(URL_BASE)")
