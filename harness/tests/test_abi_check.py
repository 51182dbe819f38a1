"""abi_check.py (make abi-check): the ABI table against real seL4 builds'
generated libsel4 headers. With SEL4_ABI_INCLUDES="dir [dir...]" (each a
build's libsel4 include tree, e.g. <builds>/16.0.0-mcs-el1/include;
the release is read from the path or a config.txt beside it) every number
must match, and a table with one number changed must be caught with that
number named; without it those tests are skipped with the reason. Bad input
gets one line and exit status 2 either way."""

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "targets", "abi"))
import sel4abi  # noqa: E402

pytestmark = pytest.mark.unit

CHECK = os.path.join(ROOT, "targets", "abi", "abi_check.py")
TABLE = os.path.join(ROOT, "targets", "abi", "sel4-abi.toml")
INCLUDES = os.environ.get("SEL4_ABI_INCLUDES", "").split()


def run(*args, env=None):
    return subprocess.run(["/usr/bin/python3", CHECK, *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


@pytest.fixture(params=INCLUDES or ["none"])
def include(request):
    if request.param == "none":
        pytest.skip("no real seL4 build given (SEL4_ABI_INCLUDES=\"<build>/include ...\")")
    if not os.path.isdir(request.param):
        pytest.fail(f"SEL4_ABI_INCLUDES: {request.param} is not a directory")
    return request.param


def test_table_matches_build(include):
    r = run("--include", include)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.fullmatch(rf"abi-check: {re.escape(include)}: seL4 \S+: \d+ numbers compared, OK\n",
                        r.stdout), r.stdout


def test_wrong_table_number_is_named(include, tmp_path):
    """The same build against a table in which CNodeCopy comes after CNodeMint:
    both labels must be reported with the table's and the build's value."""
    text = open(TABLE).read()
    swapped = text.replace('    "CNodeCopy",\n    "CNodeMint",\n', '    "CNodeMint",\n    "CNodeCopy",\n')
    assert swapped != text
    table = tmp_path / "sel4-abi.toml"
    table.write_text(swapped)
    right = run("--include", include)
    name = re.search(r"seL4 (\S+):", right.stdout).group(1)
    copy = sel4abi.abi(*sel4abi.parse_abi_name(name, with_arch=True)).labels["CNodeCopy"]
    r = run("--include", include, env={"SEL4_ABI_TABLE": str(table)})
    assert r.returncode == 1, r.stdout
    assert f"abi-check: MISMATCH label CNodeCopy: table {copy + 1}, build {copy}" in r.stdout.splitlines()
    assert f"abi-check: MISMATCH label CNodeMint: table {copy}, build {copy + 1}" in r.stdout.splitlines()
    assert r.stdout.splitlines()[-1].endswith("numbers compared, 2 MISMATCHES"), r.stdout


def test_wrong_riscv_label_is_named(include, tmp_path):
    """A riscv64 build against a table whose RISC-V list has RISCVPageMap and
    RISCVPageUnmap swapped: both named with both values; an AArch64 build
    does not read that list and stays OK."""
    text = open(TABLE).read()
    swapped = text.replace('    "RISCVPageMap",\n    "RISCVPageUnmap",\n',
                           '    "RISCVPageUnmap",\n    "RISCVPageMap",\n')
    assert swapped != text
    table = tmp_path / "sel4-abi.toml"
    table.write_text(swapped)
    right = run("--include", include)
    name = re.search(r"seL4 (\S+):", right.stdout).group(1)
    a = sel4abi.abi(*sel4abi.parse_abi_name(name, with_arch=True))
    r = run("--include", include, env={"SEL4_ABI_TABLE": str(table)})
    if a.arch != "riscv64":
        assert (r.returncode, r.stdout) == (right.returncode, right.stdout)
        return
    m = a.labels["RISCVPageMap"]
    assert r.returncode == 1, r.stdout
    assert f"abi-check: MISMATCH label RISCVPageMap: table {m + 1}, build {m}" in r.stdout.splitlines()
    assert f"abi-check: MISMATCH label RISCVPageUnmap: table {m}, build {m + 1}" in r.stdout.splitlines()
    assert r.stdout.splitlines()[-1].endswith("numbers compared, 2 MISMATCHES"), r.stdout


def test_no_known_architecture(tmp_path):
    (tmp_path / "autoconf.h").write_text("#define CONFIG_ARCH_X86_64 1\n")
    r = run("--include", str(tmp_path), "--release", "13.0.0")
    assert r.returncode == 2
    assert r.stdout == (f"abi-check: cannot check: {tmp_path}: its config names no architecture the "
                        "table covers (CONFIG_ARCH_AARCH64 or CONFIG_ARCH_RISCV64)\n")


def test_not_an_include_tree(tmp_path):
    r = run("--include", str(tmp_path))
    assert r.returncode == 2
    assert r.stdout == (f"abi-check: cannot check: {tmp_path}: no autoconf.h, kernel/gen_config.h "
                        "or sel4/gen_config.h (not a libsel4 include tree?)\n")


def test_missing_directory(tmp_path):
    r = run("--include", str(tmp_path / "nope"))
    assert (r.returncode, r.stdout) == (2, f"abi-check: cannot check: {tmp_path / 'nope'}: not a directory\n")


def test_release_not_in_table(tmp_path):
    (tmp_path / "autoconf.h").write_text("#define CONFIG_KERNEL_MCS 1\n")
    r = run("--include", str(tmp_path), "--release", "12.0.0")
    assert r.returncode == 2
    assert r.stdout == ("abi-check: cannot check: seL4 12.0.0 is not in the table "
                        "(known: 13.0.0, 14.0.0, 15.0.0, 16.0.0)\n")
