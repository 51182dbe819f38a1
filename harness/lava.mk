# harness/lava.mk: the suite on LAVA (Linaro's Automated Validation
# Architecture). Jobs are generated from scenarios/*.toml
# (harness/bootcheck/lava/lava_jobs.py), run by LAVA's own dispatcher or a LAVA
# instance, and their results come back as bootcheck's reports
# (harness/bootcheck/lava/lava_results.py). docs/lava.md.
#
#   make lava-jobs   [IMAGE=... | KERNEL=... ROOTTASK=...] [DTB=] [MACHINE=] [OUT=reports/lava] [URL_BASE=http://...]
#   make lava-run    [OUT=reports/lava] [JOBS="boot-el1-standin ..."]   every generated job through lava-run, then lava-report
#   make lava-report JOB_LOG="lava-run.log ..." [OUT=reports/lava]
#   make lava-submit LAVA_URL=https://host [LAVA_USER= LAVA_TOKEN=] | LAVA_IDENTITY=id  [OUT=] [JOBS=]

LAVA_OUT := $(if $(filter command line,$(origin OUT)),$(OUT),$(REPORTS)/lava)
URL_BASE ?=
JOB_LOG  ?=
# where lava-report finds the generated jobs to match the logs with
LAVA_JOBS ?= $(LAVA_OUT)/jobs
LAVA_PY  := cd harness && BUILD="$(abspath $(BUILD))" SEL4_KERNEL="$(abspath $(SEL4_KERNEL))" \
            SEL4_SMP_KERNEL="$(if $(SEL4_SMP_KERNEL),$(abspath $(SEL4_SMP_KERNEL)))" $(PYTHON) -m

JOBS     ?=

LAVA_URL ?=
LAVA_USER ?=
LAVA_TOKEN ?=
LAVA_IDENTITY ?=

.PHONY: lava-jobs lava-run lava-report lava-submit
lava-jobs: all
	$(LAVA_PY) bootcheck.lava.lava_jobs --out "$(abspath $(LAVA_OUT))" \
	    $(if $(IMAGE),--image "$(abspath $(IMAGE))") \
	    $(if $(filter command line,$(origin KERNEL)),--kernel "$(abspath $(KERNEL))") \
	    $(if $(filter command line,$(origin ROOTTASK)),--roottask "$(abspath $(ROOTTASK))") \
	    $(if $(filter command line,$(origin DTB)),--dtb "$(abspath $(DTB))") \
	    $(if $(filter command line,$(origin MACHINE)),--machine "$(MACHINE)") \
	    $(if $(URL_BASE),--url-base "$(URL_BASE)")

# LAVA's results as bootcheck's reports (report.html, summary.md, results.json,
# junit.xml in OUT): each log is matched with the generated job that
# deployed its image (or name it: JOB_LOG=run.log:reports/lava/jobs/x.yaml).
lava-report:
	@test -n "$(JOB_LOG)" || { echo "make lava-report: JOB_LOG=lava-run.log (or \`lavacli jobs logs ID\` output) is required" >&2; exit 2; }
	$(LAVA_PY) bootcheck.lava.lava_results --out "$(abspath $(LAVA_OUT))" --jobs "$(abspath $(LAVA_JOBS))" \
	    $(foreach l,$(JOB_LOG),"$(abspath $(firstword $(subst :, ,$(l))))$(if $(word 2,$(subst :, ,$(l))),:$(abspath $(word 2,$(subst :, ,$(l)))))")

# Every generated job (or JOBS=) through LAVA's own dispatcher on this
# machine, one log each in OUT/logs, then the reports from those logs.
lava-run:
	@test -d "$(LAVA_OUT)/jobs" || { echo "make lava-run: no jobs in $(LAVA_OUT)/jobs; run make lava-jobs first" >&2; exit 2; }
	rm -rf "$(LAVA_OUT)/logs"
	$(LAVA_PY) bootcheck.lava.lava_local --jobs "$(abspath $(LAVA_OUT))" --logs "$(abspath $(LAVA_OUT))/logs" $(JOBS); \
	    status=$$?; [ $$status -ne 2 ] || exit 2; \
	    $(MAKE) -C .. --no-print-directory lava-report OUT="$(LAVA_OUT)" \
	        JOB_LOG="$$(ls $(abspath $(LAVA_OUT))/logs/*.log | grep -v '\.validate\.log$$' | tr '\n' ' ')" || status=1; \
	    exit $$status

# The generated jobs (or JOBS=) on a LAVA instance through lavacli: submit,
# wait, fetch each log and definition into OUT/submitted, then the reports.
# The images' URLs must be reachable from the instance's workers
# (make lava-jobs URL_BASE=...; file:// only for a worker on this machine).
lava-submit:
	@$(LAVA_PY) bootcheck.lava.lava_submit --jobs "$(abspath $(LAVA_OUT))" \
	    $(if $(LAVA_URL),--url "$(LAVA_URL)") $(if $(LAVA_USER),--user "$(LAVA_USER)") \
	    $(if $(LAVA_TOKEN),--token "$(LAVA_TOKEN)") $(if $(LAVA_IDENTITY),--identity "$(LAVA_IDENTITY)") $(JOBS)

# A whole LAVA instance here, on loopback, without systemd (bootcheck.lava.lava_instance):
# its own PostgreSQL cluster, lava-server from Debian's package unpacked into
# $(BUILD) (never installed, so no maintainer script touches the system),
# gunicorn, lava-scheduler and a lava-worker with one qemu device.
#   make lava-instance        prints LAVA_URL=... LAVA_USER=... LAVA_TOKEN=... for make lava-submit
#   make lava-instance-stop
#   make lava-instance-template   the set-up database every instance starts from
#                                 (initdb, lava-server's migrations, user, token, worker,
#                                 devices: a minute of CPU), made once; make deps runs it,
#                                 so no test run makes it
LAVA_SERVER_TREE := $(BUILD)/deps/lava-server
LAVA_INSTANCE_DIR ?= $(BUILD)/lava-instance

$(LAVA_SERVER_TREE)/usr/bin/lava-server:
	@mkdir -p $(LAVA_SERVER_TREE)/debs
	cd $(LAVA_SERVER_TREE)/debs && apt-get download -q lava-server || { echo "error: apt-get download" \
	    "lava-server failed (see above); run make deps" >&2; exit 1; }
	dpkg-deb -x $(LAVA_SERVER_TREE)/debs/lava-server_*_all.deb $(LAVA_SERVER_TREE)
	@test -f $@ || { echo "error: $@ missing after unpacking lava-server" >&2; exit 1; }

.PHONY: lava-instance lava-instance-stop lava-server-tree lava-instance-template
lava-server-tree: $(LAVA_SERVER_TREE)/usr/bin/lava-server
# LAVA_TEMPLATE_FLAGS=--skip-if-unable (make deps): where the postgres user
# cannot run PostgreSQL at all, one line says so and the step succeeds.
lava-instance-template: $(LAVA_SERVER_TREE)/usr/bin/lava-server
	$(LAVA_PY) bootcheck.lava.lava_instance template --server-tree "$(abspath $(LAVA_SERVER_TREE))" $(LAVA_TEMPLATE_FLAGS)
lava-instance: $(LAVA_SERVER_TREE)/usr/bin/lava-server
	$(LAVA_PY) bootcheck.lava.lava_instance start "$(abspath $(LAVA_INSTANCE_DIR))" --server-tree "$(abspath $(LAVA_SERVER_TREE))"
lava-instance-stop:
	$(LAVA_PY) bootcheck.lava.lava_instance stop "$(abspath $(LAVA_INSTANCE_DIR))"
