"""Shared by the LAVA tests: the jobs `make lava-jobs` generates and the
lava-run runs several tests judge, each made once per test run whatever
worker asks first (bootcheck.pack.runcache; their files in the run's cache
directory), a skip with the reason when LAVA's dispatcher is not installed,
and jobs re-pointed at another image (the same job, a broken image)."""

import contextlib
import copy
import io
import os

import pytest
import yaml

from bootcheck.lava import lava_jobs, lava_local
from bootcheck.pack import runcache

from conftest import BUILD

_generated = {}
_dispatchers = []


def require_lava_run():
    try:
        lava_local.lava_run_path()
    except lava_local.LavaRunMissing as e:
        pytest.skip(str(e))
    if not os.access(os.path.dirname(lava_local.DISPATCHER_DOWNLOAD_DIR), os.W_OK):
        pytest.skip(f"lava-run needs to write {lava_local.DISPATCHER_DOWNLOAD_DIR} (run as root, as CI does)")


def dispatcher(request):
    """The one lava_local.Dispatcher of this test process: every job a LAVA
    test runs is a lava-run forked from one preloaded lava-run, so lava-run's
    imports (~0.9 CPU-s) are paid once per process, not once per job. Its
    server starts with the first job and ends with the session (inside the
    last test, so its jobs' CPU counts in the run's)."""
    require_lava_run()
    if not _dispatchers:
        d = lava_local.Dispatcher()
        _dispatchers.append(d)

        def close():
            _dispatchers.remove(d)
            d.close()
        request.session.addfinalizer(close)
    return _dispatchers[0]


def _shared_dir(tmp_path_factory, kind, key):
    """A directory of its own for one shared value: in the run's cache (every
    worker sees it), or a temporary one without a run cache."""
    base = runcache.run_dir()
    if base is None:
        return str(tmp_path_factory.mktemp(kind))
    path = os.path.join(base, kind, key)
    os.makedirs(path, exist_ok=True)
    return path


def generated(tmp_path_factory, **kw):
    """(out dir, {job name: Job}, skipped) of lava_jobs.generate(**kw), once
    per arguments and run."""
    key = tuple(sorted(kw.items()))
    if key not in _generated:
        digest = runcache.key_of("lava-jobs", key, os.environ.get("SEL4_KERNEL", ""),
                                 os.environ.get("SEL4_SMP_KERNEL", ""), BUILD)

        def make():
            out = _shared_dir(tmp_path_factory, "lava-jobs", digest)
            jobs, skipped = lava_jobs.generate(out, BUILD, **kw)
            return out, {j.name: j for j in jobs}, skipped
        _generated[key] = runcache.shared("lava-jobs", digest, make)
    return _generated[key]


def _files_key(*paths):
    return runcache.key_of(*(runcache.file_digest(p) for p in paths))


def shared_runner(tmp_path_factory, out, names, dispatcher=None):
    """make lava-run's runner (lava_local.run_named) on these jobs of out,
    once per run: (status, its stdout lines, {name: LocalRun}, logs dir)."""
    paths = [p for n in names for p in job_files(out, n)]
    digest = runcache.key_of("runner", tuple(names), _files_key(*paths))

    def make():
        logs = _shared_dir(tmp_path_factory, "lava-runner", digest)
        said, runs = io.StringIO(), []
        with contextlib.redirect_stdout(said):
            status = lava_local.run_named(out, logs, names, runs, dispatcher=dispatcher)
        return status, said.getvalue().splitlines(), {r.job: r for r in runs}, logs
    return runcache.shared("lava-runner", digest, make)


def shared_variant_run(tmp_path_factory, out, name, label, make_image, dispatcher=None):
    """lava_local.run of a variant of job name whose image make_image(dir)
    writes, once per run and label: (LocalRun, the variant's job file)."""
    digest = runcache.key_of("variant", label, _files_key(*job_files(out, name)))

    def make():
        work = _shared_dir(tmp_path_factory, "lava-variant", digest)
        job_file, device_file = variant(out, name, os.path.join(work, "job"), image=make_image(work))
        return lava_local.run(job_file, device_file, os.path.join(work, "run"), dispatcher=dispatcher), job_file
    return runcache.shared("lava-variant", digest, make)


def job_files(out, name):
    return os.path.join(out, "jobs", f"{name}.yaml"), os.path.join(out, "devices", f"{name}.yaml")


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def variant(out, name, work, image=None, test_seconds=None):
    """A copy of a generated job in work/ with its image replaced and/or its
    test action's timeout changed; returns (job file, device file)."""
    job_file, device_file = job_files(out, name)
    definition = copy.deepcopy(load(job_file))
    for action in definition["actions"]:
        if image is not None and "deploy" in action:
            action["deploy"]["images"]["kernel"]["url"] = "file://" + os.path.abspath(image)
        if test_seconds is not None and "test" in action:
            action["test"]["timeout"] = {"seconds": test_seconds}
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, f"{name}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(definition, f, sort_keys=False)
    return path, device_file


def cases(log):
    """{case: result} of the bootcheck suite in a lava-run log."""
    from bootcheck.lava import lava_results
    return {c: r for c, r, _ in lava_results.read_log(log).cases}
