"""The C unit tests of loader/common (harness/unit, built by `make all` with
ASan and UBSan): the run must end with every check held and no sanitizer
report."""

import os
import re
import subprocess

import pytest

from bootcheck.pack import images

pytestmark = pytest.mark.unit

BUILD = os.environ.get("BUILD", os.path.join(images.ROOT, "build"))
UNIT_TEST = os.path.join(BUILD, "harness", "unit", "test-common")


def test_loader_common_unit_tests():
    if not os.path.exists(UNIT_TEST):
        pytest.fail(f"{UNIT_TEST} is missing: run `make all` first")
    proc = subprocess.run([UNIT_TEST], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=60)
    assert proc.returncode == 0, f"C unit tests failed (exit {proc.returncode}):\n{proc.stdout}"
    summary = re.search(r"^(\d+) tests, (\d+) checks, (\d+) failed$", proc.stdout, re.M)
    assert summary, f"no summary line:\n{proc.stdout}"
    assert int(summary.group(3)) == 0 and int(summary.group(1)) > 0, proc.stdout
