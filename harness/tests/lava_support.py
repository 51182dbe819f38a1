"""Shared by the LAVA tests: the jobs `make lava-jobs` generates (once per
session and worker, into a directory of its own), a skip with the reason
when LAVA's dispatcher is not installed, and jobs re-pointed at another
image (the same job, a broken image)."""

import copy
import os

import pytest
import yaml

from bootcheck import lava_jobs, lava_local

from conftest import BUILD

_generated = {}


def require_lava_run():
    try:
        lava_local.lava_run_path()
    except lava_local.LavaRunMissing as e:
        pytest.skip(str(e))
    if not os.access(os.path.dirname(lava_local.DISPATCHER_DOWNLOAD_DIR), os.W_OK):
        pytest.skip(f"lava-run needs to write {lava_local.DISPATCHER_DOWNLOAD_DIR} (run as root, as CI does)")


def generated(tmp_path_factory, **kw):
    """(out dir, {job name: Job}) of lava_jobs.generate(**kw), once per arguments."""
    key = tuple(sorted(kw.items()))
    if key not in _generated:
        out = str(tmp_path_factory.mktemp("lava-jobs"))
        jobs, skipped = lava_jobs.generate(out, BUILD, **kw)
        _generated[key] = (out, {j.name: j for j in jobs}, skipped)
    return _generated[key]


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
    from bootcheck import lava_results
    return {c: r for c, r, _ in lava_results.read_log(log).cases}
