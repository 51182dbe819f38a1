"""Long work says which stage it is in and how long each took, one line per
stage (bootcheck.boot.progress): the line's form, a stage that fails, and
.ci/pristine-check's stages (the base, the fresh root, each part of its
command). make check's lines are asserted where the README shows them
(test_docs.py), lava-run's in test_lava_run.py."""

import io
import os
import re
import subprocess

import pytest

from bootcheck.boot import progress

from conftest import ROOT, real_kernel_lines


@pytest.mark.unit
def test_one_line_per_stage_with_its_result_time_and_tail():
    out = io.StringIO()
    p = progress.Progress("bootcheck", 2, stream=out)
    with p.stage("payload finder") as st:
        st.set_result("pack payload")
    with p.stage("lava job") as st:
        st.set_result("exit 0")
        st.set_tail("log x.log")
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"bootcheck: \[1/2\] payload finder \.\.\. pack payload, \d+\.\d s", lines[0]), lines
    assert re.fullmatch(r"bootcheck: \[2/2\] lava job \.\.\. exit 0, \d+\.\d s; log x\.log", lines[1]), lines
    assert len(lines) == 2


@pytest.mark.unit
def test_a_failing_stage_says_so_and_the_error_goes_on():
    out = io.StringIO()
    p = progress.Progress("bootcheck", 4, stream=out)
    with pytest.raises(ValueError):
        with p.stage("payload finder"):
            raise ValueError("no payload")
    assert re.fullmatch(r"bootcheck: \[1/4\] payload finder \.\.\. failed after \d+\.\d s\n", out.getvalue())


@pytest.mark.unit
def test_silent_progress_prints_nothing(capsys):
    with progress.silent().stage("anything"):
        pass
    assert capsys.readouterr().out == ""


class Report:
    def __init__(self, nodeid, when, outcome, duration):
        self.nodeid, self.when, self.outcome, self.duration = nodeid, when, outcome, duration


@pytest.mark.unit
def test_a_real_kernel_run_says_how_each_kernels_tests_went():
    k13, k16 = "sel4-13.0.0-el1", "sel4-16.0.0-mcs-el1"
    reports = [Report(f"t.py::a[{k13}]", "setup", "passed", 0.5), Report(f"t.py::a[{k13}]", "call", "passed", 2.0),
               Report(f"t.py::b[{k13}]", "setup", "skipped", 0.1),
               Report(f"t.py::s[boot-el1-{k13}]", "call", "failed", 3.0),
               Report(f"t.py::a[{k16}]", "setup", "failed", 1.0),
               Report(f"t.py::a[{k16}]", "teardown", "passed", 0.25),
               Report("t.py::a[standin]", "call", "passed", 9.0)]
    assert real_kernel_lines(reports, [k13, k16, "sel4-14.0.0-el1"]) == [
        f"verify: real kernel {k13}: 3 tests: 1 passed, 1 failed, 1 skipped; 5.6 s of test time",
        f"verify: real kernel {k16}: 1 test: 1 error; 1.2 s of test time"]



@pytest.mark.unit
def test_a_kernel_id_that_prefixes_another_counts_only_its_own_tests():
    """sel4-13.0.0-rv64 is a prefix of sel4-13.0.0-rv64-smp4: each test is
    counted once, under the longest id it names."""
    up, smp = "sel4-13.0.0-rv64", "sel4-13.0.0-rv64-smp4"
    reports = [Report(f"t.py::a[{up}]", "call", "passed", 1.0), Report(f"t.py::a[{smp}]", "call", "passed", 2.0),
               Report(f"t.py::s[boot-riscv-{smp}]", "call", "failed", 4.0)]
    assert real_kernel_lines(reports, [up, smp]) == [
        f"verify: real kernel {up}: 1 test: 1 passed; 1.0 s of test time",
        f"verify: real kernel {smp}: 2 tests: 1 passed, 1 failed; 6.0 s of test time"]

PRISTINE_BASE = os.path.join(os.environ.get("PRISTINE_CACHE_DIR", "/var/tmp/bootcheck-pristine"),
                             "bookworm-minbase.tar")


@pytest.mark.slow
def test_pristine_check_says_which_stage_it_is_in():
    """.ci/pristine-check with a command of two cheap parts: the base, the
    fresh root and each part are stages, each ended by its time; a failing
    part ends the run with its exit status and the next part does not run."""
    if os.geteuid() != 0:
        pytest.skip("pristine-check needs root (debootstrap, chroot, mounts)")
    if not os.path.isfile(PRISTINE_BASE):
        pytest.skip(f"no cached base system ({PRISTINE_BASE}); `make pristine-check` builds it once")
    r = subprocess.run([os.path.join(ROOT, ".ci", "pristine-check"), "--", "echo first && exit 7 && echo never"],
                       capture_output=True, text=True, timeout=300)
    lines = r.stdout.splitlines()
    stages = [l for l in lines if re.match(r"pristine-check: \[\d/\d\]", l)]
    assert r.returncode == 7, r.stdout + r.stderr
    assert re.fullmatch(r"pristine-check: \[1/5\] minimal Debian 12 base \.\.\. cached, \d+\.\d s", stages[0]), lines
    assert re.fullmatch(r"pristine-check: \[2/5\] fresh root, clone of HEAD \.\.\. [0-9a-f]{12}, \d+\.\d s",
                        stages[1]), lines
    assert stages[2] == "pristine-check: [3/5] echo first ..."
    assert re.fullmatch(r"pristine-check: \[3/5\] echo first: exit 0, \d+\.\d s", stages[3]), lines
    assert stages[4] == "pristine-check: [4/5] exit 7 ..."
    assert re.fullmatch(r"pristine-check: \[4/5\] exit 7: exit 7, \d+\.\d s", stages[5]), lines
    assert len(stages) == 6 and "never" not in lines, lines
    assert lines[lines.index(stages[2]) + 1] == "first"
    assert lines[-1].startswith("pristine-check: exit 7 after ")
