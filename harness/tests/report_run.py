"""Runs pytest in a subprocess on a small synthetic test file that uses the
report plugin, so the report tests see what a real session writes: one test
passes with a page-table map, one fails at a known stop with a write map and a
serial from `booter`, one is skipped, one errors in its fixture."""

import os
import pathlib
import subprocess
import sys
import textwrap

from bootcheck.pack import runcache

HARNESS = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

FAILING_TEST = "test_synthetic_boot_stops_early"
FAILING_STOP = "stop-at-init_kernel"
SERIAL_MARK = "synthetic serial: loader jumped"
VERDICT_IMAGE = "synthetic-check.elf"
VERDICT_SENTENCE = "the DTB overlaps the root task"

SYNTHETIC = textwrap.dedent(f'''
    import types
    import pytest

    @pytest.fixture
    def booter():
        boot = types.SimpleNamespace(command=["qemu-synthetic", "-kernel", "x.elf"],
                                     serial="{SERIAL_MARK}\\n")
        return types.SimpleNamespace(results=[boot])

    @pytest.fixture
    def broken_fixture():
        raise RuntimeError("fixture could not start")

    def test_synthetic_passes_with_map(record_property):
        record_property("ptmap", "PTMAP-PASSING 0x40000000 -> 0x40000000")
        record_property("instructions", 123456)

    def {FAILING_TEST}(booter, record_property):
        record_property("stop", "{FAILING_STOP}")
        record_property("writemap", "WRITEMAP-FAILING [0x40000000..0x40001000)")
        assert 1 + 1 == 3, "the synthetic boot never reached the root task"

    def test_synthetic_check_verdict(tmp_path):
        # What `bootcheck check --out` leaves: the report plugin attaches its pictures.
        import json
        from bootcheck.reports import bootchain
        chain = bootchain.from_rows([("loader", "loader", [("dtb", "fail", "{VERDICT_SENTENCE}")])])
        mm = {{"regions": [{{"name": "RAM", "kind": "ram", "column": "bus", "start": 0x1000, "end": 0x9000,
                            "note": ""}}], "marks": [], "overlaps": []}}
        (tmp_path / "report").mkdir()
        (tmp_path / "report" / "verdict.json").write_text(json.dumps({{
            "image": "/x/{VERDICT_IMAGE}", "diagnosis": "bootcheck: FAIL at link 1 (dtb): {VERDICT_SENTENCE}",
            "findings": [{{"rule": "dtb", "status": "fail", "sentence": "{VERDICT_SENTENCE}", "link": 1}}],
            "memory_map": mm, "boot_chain": chain}}))

    def test_synthetic_skipped():
        pytest.skip("synthetic skip reason")

    def test_synthetic_errors(broken_fixture):
        pass
''')

NODE = "test_synthetic.py::"


def run_synthetic(tmp_path, *extra):
    """Returns (completed process, reports directory). The same run (same
    extra arguments) is made once per test run, by whichever pytest-xdist
    worker asks first (bootcheck.pack.runcache): test_report.py and
    test_report_chromium.py read the same reports."""
    base = runcache.run_dir()
    if base is None:
        return _run_synthetic(tmp_path, *extra)
    key = runcache.key_of("synthetic-report-run", extra)
    folder = pathlib.Path(base) / "synthetic-report-runs" / key
    return runcache.shared("synthetic-report-run", key, lambda: _run_synthetic(folder, *extra))


def _run_synthetic(tmp_path, *extra):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_synthetic.py").write_text(SYNTHETIC)
    out = tmp_path / "reports"
    env = dict(os.environ, PYTHONPATH=HARNESS)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "bootcheck.reports.report",
                           "-p", "no:cacheprovider", f"--bootcheck-reports={out}", "-q",
                           *extra, "test_synthetic.py"],
                          cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)
    return proc, out
