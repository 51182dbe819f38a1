"""Generated jobs run by LAVA's own dispatcher (`lava-run`): every case
passes on the good images; on broken ones (a root task whose check fails, a
loader that refuses its payload, a kernel that never gets anywhere, an image
URL nobody serves) the right case fails or never comes, the job ends within
its own timeout, no QEMU survives it and LAVA's scratch directory is gone;
`make lava-report` turns the logs into bootcheck's reports."""

import concurrent.futures
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from bootcheck.kernel import expect, target
from bootcheck.lava import lava_jobs, lava_local, lava_results
from bootcheck.pack import images

from conftest import BUILD, ROOT, SEL4_KERNELS, SEL4_PARAMS
from lava_support import (cases, dispatcher, generated, job_files, load, require_lava_run, shared_runner,
                          shared_variant_run, variant)
from test_broken_inputs import CASES as BROKEN_CASES, build_path
from test_hygiene import spin_kernel_elf

pytestmark = [pytest.mark.qemu, pytest.mark.slow]
# LAVA jobs are made for real kernels of both architectures (conftest).
KERNEL_ARCHES = ("aarch64", "riscv64")

JOB = "boot-el1-standin"
HANG_TEST_SECONDS = 2
# AArch64 `wfi; b .-4`: a kernel that never gets anywhere and, waiting for an
# interrupt that never comes (none is enabled), leaves QEMU idle while
# LAVA's monitor and its clean-up wait, instead of spinning a host core.
WAIT_FOR_INTERRUPT_FOREVER = (0xd503207f, 0x17ffffff)


@pytest.fixture
def lava(tmp_path_factory):
    require_lava_run()
    return generated(tmp_path_factory)


@pytest.fixture
def lava_dispatcher(request):
    """lava-run, preloaded once for this test process (lava_support.dispatcher)."""
    return dispatcher(request)


def run_clean(job_file, device_file, work, dispatcher):
    """One lava-run (forked from the test process's preloaded one) that must
    end within the job's own timeout and leave nothing behind."""
    return check_clean(lava_local.run(job_file, device_file, str(work), dispatcher=dispatcher), job_file)


def check_clean(r, job_file):
    """A lava-run (this test's or a shared one) ended within the job's own
    timeout and left nothing behind."""
    assert not r.timed_out and r.elapsed < lava_local.job_timeout(job_file), r.describe()
    assert r.leftovers == [], r.describe()
    assert not os.path.exists(r.scratch)
    assert lava_local.processes_using(load(job_file)["actions"][0]["deploy"]["images"]["kernel"]["url"]
                                      [len("file://"):]) == []
    return r


def standin_names(jobs):
    return [name for name, job in jobs.items() if not job.kernel_name.startswith("sel4")]


@pytest.fixture
def runner(lava, tmp_path_factory, lava_dispatcher):
    """make lava-run's runner on every stand-in job (AArch64's and
    riscv64's), once per run: the good runs several tests judge."""
    out, jobs, _ = lava
    return shared_runner(tmp_path_factory, out, standin_names(jobs), dispatcher=lava_dispatcher)


def bad_dtb_run(tmp_path_factory, out, dispatcher):
    """JOB on an image whose DTB has a bad magic (test_broken_inputs'
    dtb-bad-magic), once per run: (LocalRun, its job file, the case)."""
    case = next(c for c in BROKEN_CASES if c["id"] == "dtb-bad-magic")
    p = {k: build_path(v) for k, v in case["payload"].items()}

    def make_image(work):
        packed = images.pack(p["kernel"], p["roottask"], os.path.join(work, "bad-dtb.elf"), dtb=p["dtb"],
                             unchecked=True)
        assert packed.returncode == 0, packed.output
        return packed.image
    r, job_file = shared_variant_run(tmp_path_factory, out, JOB, "dtb-bad-magic", make_image, dispatcher)
    return r, job_file, case


def test_every_job_passes_on_good_images(lava, runner):
    out, jobs, _ = lava
    assert {target.read(lava_jobs.known_kernels(BUILD)[jobs[n].kernel_name]).arch
            for n in standin_names(jobs)} == {"aarch64", "riscv64"}
    for name in standin_names(jobs):        # the real seL4 ones: test_real_sel4_jobs_pass
        job = jobs[name]
        r = check_clean(runner[2][name], job_files(out, name)[0])
        got = cases(r.log)
        assert r.returncode == 0, r.describe()
        assert all(result == "pass" for result in got.values()), (name, got)
        assert set(job.required) <= set(got), (name, job.required, got)
        run = lava_results.read_log(r.log)
        # every check the root task printed is a case of its own
        checks = [l.split()[2] for l in run.serial if l.startswith("roottask: check ")]
        assert checks and all(re.sub(r"\W+", "_", f"roottask_check_{c}".lower()) in got
                              for c in checks), name
        assert run.job_result == "pass"


def test_lava_run_says_which_job_it_runs_and_how_long_it_took(lava, runner):
    """make lava-run's runner: one line per job, `lava-run: [i/N] NAME ...`
    finished with its exit status, its time and its log, not a silent wait."""
    out, jobs, _ = lava
    names = standin_names(jobs)
    status, lines, _, logs = runner
    assert status == 0, lines
    stage = [l for l in lines if l.startswith("lava-run: [")]
    assert len(stage) == len(names), lines
    for i, (name, line) in enumerate(zip(names, stage), 1):
        assert re.fullmatch(rf"lava-run: \[{i}/{len(names)}\] {re.escape(name)} \.\.\. exit 0, \d+\.\d s; log "
                            rf"{re.escape(logs)}/{re.escape(name)}\.log", line), line


def test_a_failing_root_task_check_is_the_failing_case(lava, tmp_path, artifacts, lava_dispatcher):
    """x1 half a page long: seL4 (and the stand-in) boot, and the root task
    finds its BootInfo pointer mid-page (test_standin's misaligned-x1 case)."""
    out, jobs, _ = lava
    kernel = artifacts.standin_kernel
    h = expect.expected_handoff(kernel, artifacts.roottask, expect.dtb_handover_size(artifacts.virt_dtb))
    override = images.write_override(tmp_path / "x1.override", x1=h.x[1] + 0x800)
    image = images.pack_ok(kernel, artifacts.roottask, tmp_path / "x1-half-page.elf", dtb=artifacts.virt_dtb,
                           override=override)
    r = run_clean(*variant(out, JOB, tmp_path / "job", image=image), tmp_path, lava_dispatcher)
    got = cases(r.log)
    assert got["roottask_check_entry_x0"] == "fail" and got["roottask_boot"] == "fail", got
    assert {c for c, v in got.items() if v == "fail"} == {"roottask_check_entry_x0", "roottask_boot"}, got
    assert got["loader"] == "pass" and got["booting_all_finished"] == "pass", got
    tests = lava_results.judge(lava_results.read_log(r.log), jobs[JOB].definition)
    assert tests[0]["outcome"] == "failed"
    assert "E case roottask_check_entry_x0 failed" in tests[0]["longrepr"].splitlines()


def test_a_loader_error_fails_the_loader_case(lava, tmp_path_factory, lava_dispatcher):
    out, jobs, _ = lava
    r, job_file, case = bad_dtb_run(tmp_path_factory, out, lava_dispatcher)
    check_clean(r, job_file)
    got = cases(r.log)
    assert got == {"loader": "fail"}, got
    run = lava_results.read_log(r.log)
    assert case["loader_error"] in run.serial
    tests = lava_results.judge(run, jobs[JOB].definition)
    assert "E required case booting_all_finished never reported (the console stopped at: " \
        f"{case['loader_error']!r})" in tests[0]["longrepr"].splitlines(), \
        tests[0]["longrepr"] + "\n--- the LAVA log's last console and input records ---\n" + console_tail(r.log)


def console_tail(log, n=20):
    """The last n records of a LAVA log that are console output or typed
    input (once seen failing on a loaded machine: the console seemed to stop
    at LAVA's own `poweroff`, which read_log drops as an echo of its input;
    this says in which order LAVA logged them)."""
    out = []
    for rec in lava_results._records(log):
        if rec.get("lvl") in ("target", "input"):
            out.append(f"{rec.get('dt', '')} {rec['lvl']}: {rec.get('msg')!r}")
    return "\n".join(out[-n:])


def test_a_job_that_never_ends_times_out_within_its_own_timeout(lava, tmp_path, artifacts, lava_dispatcher):
    """A kernel that waits forever at its first instruction: the loader
    hands over and nothing else is ever printed; the monitor's timeout ends
    the job, and LAVA's clean-up ends the QEMU that would never end."""
    out, jobs, _ = lava
    hang = tmp_path / "hang-kernel.elf"
    hang.write_bytes(spin_kernel_elf(WAIT_FOR_INTERRUPT_FOREVER))
    image = images.pack_ok(str(hang), artifacts.roottask, tmp_path / "hang.elf")
    job_file, device_file = variant(out, JOB, tmp_path / "job", image=image, test_seconds=HANG_TEST_SECONDS)
    r = run_clean(job_file, device_file, tmp_path, lava_dispatcher)
    assert r.elapsed < lava_local.job_timeout(job_file)
    assert r.returncode != 0, r.describe()
    run = lava_results.read_log(r.log)
    assert cases(r.log) == {"loader": "pass"}
    assert run.job_result == "fail" and any("timed out" in e for e in run.errors), run.lava


def test_an_unreachable_image_url_is_refused_before_lava_run(lava, tmp_path):
    """LAVA's dispatcher would retry the download until the job's timeout;
    the runner refuses at once, with the reason."""
    out, jobs, _ = lava
    job_file, device_file = job_files(out, JOB)
    definition = load(job_file)
    url = "http://127.0.0.1:9/none.elf"          # the discard port: nothing listens on loopback
    definition["actions"][0]["deploy"]["images"]["kernel"]["url"] = url
    os.makedirs(tmp_path / "job")
    bad = tmp_path / "job" / f"{JOB}.yaml"
    bad.write_text(json.dumps(definition))
    with pytest.raises(lava_local.UnreachableImage) as e:
        lava_local.run(str(bad), device_file, str(tmp_path))
    assert str(e.value) == f"image URL {url} is unreachable: [Errno 111] Connection refused"
    assert not os.path.exists(tmp_path / f"{JOB}.log"), "lava-run must not have started"


# One test per given kernel, so that pytest-xdist's workers run their jobs
# side by side (all 28 kernels' jobs in one test took 267 s).
@pytest.mark.parametrize("fid", SEL4_PARAMS)
def test_real_sel4_jobs_pass(tmp_path_factory, tmp_path, request, fid):
    require_lava_run()
    if not SEL4_KERNELS:
        pytest.skip("no real seL4 kernel given (make verify SEL4_KERNEL=\"kernel.elf [kernel-hyp.elf]\")")
    out, jobs, _ = generated(tmp_path_factory)
    real = [n for n, j in jobs.items() if j.kernel_name == fid]
    # one job or more for every given kernel of a flavour some scenario is
    # written for, AArch64 or riscv64; none for any other
    path = dict(SEL4_KERNELS)[fid]
    assert bool(real) == bool(lava_jobs.scenario_kernel_name(fid, path)), (fid, sorted(jobs))
    if not real:
        pytest.skip(f"{fid}: no scenario is written for its flavour, so no LAVA job is made for it")
    for name in real:
        r = run_clean(*job_files(out, name), tmp_path, dispatcher(request))
        got = cases(r.log)
        assert r.returncode == 0 and got and all(v == "pass" for v in got.values()), (name, got)
        assert set(jobs[name].required) <= set(got), name


def test_lava_report_writes_bootchecks_reports(lava, runner, tmp_path, tmp_path_factory, lava_dispatcher):
    """make lava-report on one passing and one failing job: the job records
    and one record per LAVA case in results.json, junit.xml and report.html."""
    out, jobs, _ = lava
    good = check_clean(runner[2][JOB], job_files(out, JOB)[0])
    bad, bad_job, case = bad_dtb_run(tmp_path_factory, out, lava_dispatcher)
    check_clean(bad, bad_job)
    report = tmp_path / "report"
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "lava-report", f"OUT={report}",
                        f"LAVA_JOBS={out}/jobs", f"JOB_LOG={good.log} {bad.log}:{bad_job}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0, "a failed LAVA job must fail make lava-report"
    lines = r.stdout.splitlines()
    assert f"lava-report: lava/{JOB}: PASSED" in lines, r.stdout + r.stderr
    assert any(l.startswith(f"lava-report: lava/{JOB}#2: FAILED: LAVA job result: fail") for l in lines), r.stdout
    res = json.loads((report / "results.json").read_text())
    outcomes = {t["nodeid"]: t["outcome"] for t in res["tests"]}
    n_good = len(cases(good.log))
    assert len(outcomes) == (1 + n_good) + (1 + 1), "a record per job run and per LAVA case of it"
    assert outcomes[f"lava/{JOB}::loader"] == "passed" and outcomes[f"lava/{JOB}#2::loader"] == "failed"
    suite = ET.parse(report / "junit.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == len(res["tests"]) and int(suite.get("failures")) == 2
    html = (report / "report.html").read_text()
    assert case["loader_error"] in html and f"lava/{JOB}::roottask_boot" in html


def test_lava_report_refuses_what_is_no_lava_log(tmp_path):
    junk = tmp_path / "not-a-log.txt"
    junk.write_text("hello\n")
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "lava-report",
                        f"OUT={tmp_path / 'r'}", f"JOB_LOG={junk}"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert f"lava-report: error: JOB_LOG={junk}: no LAVA log records in it (expected lava-run's output " \
        "or `lavacli jobs logs ID`)" in r.stderr.splitlines(), r.stderr


def test_a_given_image_gets_the_jobs_of_its_kernel(tmp_path_factory, tmp_path, artifacts, request):
    """make lava-jobs IMAGE=...: the image runs as it is; its kernel (found
    by the payload finder) picks the scenarios, and its jobs pass."""
    require_lava_run()
    image = images.pack_ok(artifacts.standin_kernel, artifacts.roottask, tmp_path / "given.elf",
                           dtb=artifacts.virt_dtb)
    out, jobs, _ = generated(tmp_path_factory, image=str(image))
    assert sorted(jobs) == ["boot-el1-image", "spawn-system-init-entry-image"]
    for name, job in jobs.items():
        assert job.definition["actions"][0]["deploy"]["images"]["kernel"]["url"] == "file://" + str(image)
    generated_jobs = lava_results.load_jobs(os.path.join(out, "jobs"))
    # both at once: separate lava-run processes, job ids and scratch
    # directories (and each QEMU runs its own deployed copy of the image)
    d = dispatcher(request)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(jobs, pool.map(lambda name: run_clean(*job_files(out, name), tmp_path / "run", d), jobs)))
    for name, r in runs.items():
        got = cases(r.log)
        assert r.returncode == 0 and set(jobs[name].required) <= set(got), r.describe()
        assert all(v == "pass" for v in got.values()), got
        # both jobs deploy the same image: the report tells them apart by the log's name
        path, _ = lava_results.find_job(lava_results.read_log(r.log), generated_jobs)
        assert path == job_files(out, name)[0]
