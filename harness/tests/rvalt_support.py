"""rvalt's images (fixtures/altloader/arch/riscv64) and `bootcheck check`
verdicts on them, for test_rvalt.py and test_riscv_report.py: both judge the
same mutants around the same kernel and root task, one by the verdict's
last line and exit status, the other by its pictures. Each pair's ten images
are built once per test run and each check is made once per run
(bootcheck.pack.runcache, tests/check_runs.py), by whichever pytest-xdist worker
asks first; the others read what it left."""

import json
import os
import pathlib
import subprocess

from bootcheck.check import checkrun, contract
from bootcheck.pack import runcache

from check_runs import run_check
from conftest import ROOT

FIXTURE = os.path.join(ROOT, "fixtures", "altloader", "arch", "riscv64")
with open(os.path.join(FIXTURE, "expected.json")) as f:
    EXPECTED = json.load(f)
MUTANTS = list(EXPECTED["mutants"])
# The QEMU boot's budget of every check here (a decided boot ends sooner).
CHECK_SECONDS = 40

_built = {}


def images(tmp_path, kernel, roottask):
    """{mutant: image path}: all ten images around kernel and roottask
    (`make rvalt-images`), built once per pair and test run."""
    key = runcache.key_of("rvalt-images", kernel, runcache.file_digest(kernel), roottask,
                          runcache.file_digest(roottask))
    if key in _built:
        return _built[key]
    base = runcache.run_dir()
    out = pathlib.Path(base) / "rvalt-images" / key if base else pathlib.Path(tmp_path) / "images"

    def make():
        r = subprocess.run(["make", "-s", "--no-print-directory", "rvalt-images", f"KERNEL={kernel}",
                            f"ROOTTASK={roottask}", f"RVALT_OUT_DIR={out}"], cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
        return r.returncode, r.stdout + r.stderr

    status, output = runcache.shared("rvalt-images", key, make) if base else make()
    assert status == 0, output
    _built[key] = {m: str(out / f"{m}.elf") for m in MUTANTS}
    return _built[key]


def check(tmp_path, image, kernel, roottask):
    """`bootcheck check IMAGE --kernel K --roottask R --seconds 40`, made once
    per run: (CompletedProcess, verdict.json's dict or None, report folder)."""
    return run_check(tmp_path, image, "--kernel", kernel, "--roottask", roottask, seconds=CHECK_SECONDS)


def verdict_of(data):
    """The checkrun.Verdict a verdict.json holds (checkreport.write_all):
    its findings, first broken link, serial log, emulation, memory map and
    boot chain, so the Verdict's own methods (status, diagnosis_line,
    text_map) judge what the check wrote."""
    findings = [contract.Finding(rule=f["rule"], status=f["status"], sentence=f["sentence"],
                                 source=f["source"],
                                 details={k: v for k, v in f.items()
                                          if k not in ("rule", "status", "sentence", "source", "link")})
                for f in data["findings"]]
    v = checkrun.Verdict(image=data["image"], kernel=data["kernel"], roottask=data["roottask"],
                         payload=data["payload"], machine=data["machine"], findings=findings,
                         first_broken=contract.diagnosis(findings), serial=data["serial"],
                         emu=data["emulation"], timings=data["timings"], memory_map=data["memory_map"],
                         boot_chain=data["boot_chain"])
    # Read back whole: the same verdict and diagnosis as the check wrote.
    assert (v.status, v.diagnosis_line()) == (data["status"], data["diagnosis"]), data["diagnosis"]
    return v
