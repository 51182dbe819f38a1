"""A whole LAVA instance on this machine (`make lava-instance`: its own
PostgreSQL cluster, lava-server's web/API process, lava-scheduler and a
lava-worker, on loopback, no systemd) takes a generated job from
`make lava-submit` (lavacli), runs it on its qemu device, and the job's
log and results come back as bootcheck's reports; `make
lava-instance-stop` leaves no process and no directory behind."""

import json
import os
import subprocess

import pytest

from bootcheck.lava import lava_instance

from conftest import ROOT
from lava_support import generated, require_lava_run

pytestmark = [pytest.mark.lava_instance, pytest.mark.qemu, pytest.mark.slow]

JOB = "boot-el1-standin"
RV_JOB = "boot-riscv-standin-riscv64"       # the server's device dictionary for arch riscv64


def make(*args, timeout):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, *args], capture_output=True,
                          text=True, timeout=timeout)


def pids_alive(pids):
    """The pids that still run (a zombie has ended; init reaps it later)."""
    return [pid for pid in pids if lava_instance.process_state(pid) not in (None, "Z")]


def test_a_local_instance_runs_a_generated_job(tmp_path_factory, tmp_path):
    require_lava_run()
    problem = lava_instance.postgres_user_problem()
    if problem:
        pytest.skip(f"no LAVA instance here: {problem}")
    out, jobs, _ = generated(tmp_path_factory)
    work = str(tmp_path / "instance")
    r = make("lava-instance", f"LAVA_INSTANCE_DIR={work}", timeout=600)
    state = {}
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        with open(os.path.join(work, "instance.json")) as f:
            state = json.load(f)
        line = [l for l in r.stdout.splitlines() if l.startswith("lava-instance: up after ")]
        assert line, r.stdout
        url = f"http://127.0.0.1:{state['http_port']}"
        assert f"LAVA_URL={url} LAVA_USER={lava_instance.USER} LAVA_TOKEN={state['token']}" in line[0]
        s = make("lava-submit", f"OUT={out}", f"JOBS={JOB} {RV_JOB}", f"LAVA_URL={url}",
                 f"LAVA_USER={lava_instance.USER}", f"LAVA_TOKEN={state['token']}", timeout=600)
        assert s.returncode == 0, s.stdout + s.stderr
        from bootcheck.lava import lava_results
        for job, qemu_bin, firmware in ((JOB, "qemu-system-aarch64", False), (RV_JOB, "qemu-system-riscv64", True)):
            assert f"lava-report: lava/{job}: PASSED" in s.stdout.splitlines(), s.stdout
            log = os.path.join(out, "submitted", f"{job}.log")
            run = lava_results.read_log(log)
            assert run.job_result == "pass"
            assert {c for c, _, _ in run.cases} >= set(jobs[job].required)
            assert all(r == "pass" for _, r, _ in run.cases)
            # the server ran it with bootcheck's device dictionary: no NIC;
            # its architecture's QEMU, and OpenSBI for riscv64
            boot = [l for l in open(log) if "Boot command" in l]
            assert len(boot) == 1 and "-nic none" in boot[0] and f"/{qemu_bin} " in boot[0], boot
            assert ("-bios default" in boot[0]) == firmware, boot
    finally:
        stop = make("lava-instance-stop", f"LAVA_INSTANCE_DIR={work}", timeout=120)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert not os.path.exists(work) and not os.path.exists(state.get("pg_root", work))
    assert pids_alive(state.get("pids", {}).values()) == []
    assert lava_instance.lava_jobs_scratch(state.get("http_port")) == []
    assert not os.path.exists("/var/lib/lava-server"), "the instance must keep its files in its directory"


def test_stop_ends_a_job_process_that_left_the_workers_group(tmp_path):
    """lava-worker starts each job's lava-run in a session of its own: a job
    still running when the instance stops (a failed test stops it mid-job)
    was left spinning, reparented to init. The stop finds such a process by
    its working directory inside the instance's and ends it."""
    work = tmp_path / "instance"
    work.mkdir()
    job = subprocess.Popen(["sleep", "120"], cwd=str(work), start_new_session=True)
    try:
        assert lava_instance.processes_working_in([str(work)]) == [job.pid]
        lava_instance.Instance(str(work)).stop()
        assert job.wait(timeout=5) == -9
        assert not os.path.exists(work)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()


def test_make_deps_skips_the_set_up_database_where_postgres_cannot_run(monkeypatch, capsys, tmp_path):
    """make deps asks for the set-up database with --skip-if-unable: where
    the postgres user cannot run PostgreSQL (a chroot whose / is mode 0700,
    as pristine-check's), one line says it was skipped and why, and the step
    succeeds instead of printing an error make ignores. Nothing is made."""
    why = "the postgres user cannot run initdb (Permission denied); / has mode 0o700"
    monkeypatch.setattr(lava_instance, "postgres_user_problem", lambda: why)
    monkeypatch.setattr(lava_instance.tempfile, "mkdtemp",
                        lambda **kw: pytest.fail("an instance folder was made"))
    status = lava_instance.main(["template", "--skip-if-unable", "--server-tree", str(tmp_path)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, ""), (status, err)
    assert out == (f"lava-instance: skipped the set-up database: {why}; the LAVA-instance tests skip "
                   "with this reason\n")
