"""Fuzz regressions: every input that once crashed a fuzz target
(harness/fuzz/regressions/<target>/), and the seed corpora, replayed through
the same target code built with ASan + UBSan (build/sanitize/replay-<target>,
from harness/fuzz/fuzz.mk). Each DTB regression must also be refused, with
the same reason, by the pack step's pre-check and by the booted loader (which
used to corrupt memory packing it)."""

import os
import struct
import subprocess

import pytest

from bootcheck.boot import qemu
from bootcheck.pack import images

ROOT = images.ROOT
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
REGRESSIONS = os.path.join(ROOT, "harness", "fuzz", "regressions")
TARGETS = ("elf", "cpio", "plan", "dtb", "override")


def inputs_of(target):
    paths = []
    for base in (os.path.join(REGRESSIONS, target), os.path.join(BUILD, "fuzz", "seeds", target)):
        if os.path.isdir(base):
            paths += sorted(os.path.join(base, n) for n in os.listdir(base) if not n.startswith("."))
    return paths


@pytest.mark.unit
@pytest.mark.parametrize("target", TARGETS)
def test_replay_under_sanitizers(target):
    replay = os.path.join(BUILD, "sanitize", f"replay-{target}")
    if not os.path.exists(replay):
        pytest.fail(f"{replay} is missing: run `make all` first")
    inputs = inputs_of(target)
    assert inputs, f"no seeds or regressions for {target}: run `make all` first"
    proc = subprocess.run([replay, *inputs], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=120)
    tail = "\n".join(proc.stderr.splitlines()[-40:])
    assert proc.returncode == 0, f"replay-{target} failed (exit {proc.returncode}):\n{tail}"
    assert proc.stdout.strip() == f"replay: {len(inputs)} inputs passed", proc.stdout


def reservation_map(blob):
    """(start, end, entries) of the FDT memory reservation map, read as libfdt
    counts it: 16-byte (address, size) entries up to the first size of 0."""
    start = struct.unpack_from(">I", blob, 16)[0]
    totalsize = struct.unpack_from(">I", blob, 4)[0]
    n = 0
    while start + 16 * (n + 1) <= totalsize:
        if struct.unpack_from(">Q", blob, start + 16 * n + 8)[0] == 0:
            return start, start + 16 * (n + 1), n
        n += 1
    return start, None, n


def dtb_regressions(prefix):
    base = os.path.join(REGRESSIONS, "dtb")
    return sorted(n for n in os.listdir(base) if n.startswith(prefix)) if os.path.isdir(base) else []


def rsvmap_reason(path):
    """The sentence after "<what> is not a valid DTB: ", from the blob's header."""
    blob = open(path, "rb").read()
    start, end, n = reservation_map(blob)
    assert end is not None, "these regressions have a terminated reservation map"
    struct_off, strings_off = struct.unpack_from(">II", blob, 8)
    return (f"memory reservation map [{start:#x}..{end:#x}) ({n} entries and the terminator) "
            f"overlaps the structure block at {struct_off:#x} or the strings block at "
            f"{strings_off:#x}")


def version_reason(path):
    version = struct.unpack_from(">I", open(path, "rb").read(), 20)[0]
    return f"version {version} is older than 16, the oldest the loader reads"


@pytest.mark.unit
@pytest.mark.parametrize("name,reason", [(n, rsvmap_reason) for n in dtb_regressions("rsvmap-")] +
                         [(n, version_reason) for n in dtb_regressions("version-")])
def test_pack_refuses_dtb_regression(artifacts, tmp_path, name, reason):
    path = os.path.join(REGRESSIONS, "dtb", name)
    r = images.pack(artifacts.probe_el1, artifacts.roottask, tmp_path / "image.elf", dtb=path)
    want = f"pack: error: kernel.dtb ({path}) is not a valid DTB: {reason(path)}"
    assert r.returncode != 0 and want in r.output.splitlines(), r.output


def boot_past_precheck(booter, artifacts, name):
    """Boots the loader on a DTB regression that the pre-check refuses: the
    loader must stand on its own."""
    path = os.path.join(REGRESSIONS, "dtb", name)
    image = booter.pack(artifacts.probe_el1, artifacts.roottask, dtb=path, unchecked=True)
    return path, booter.boot(image, timeout=20)


@pytest.mark.qemu
@pytest.mark.parametrize("name", dtb_regressions("rsvmap-"))
def test_loader_refuses_rsvmap_regression(booter, artifacts, name):
    path, result = boot_past_precheck(booter, artifacts, name)
    want = f"loader: error: payload kernel.dtb is not a valid DTB: {rsvmap_reason(path)}"
    assert want in result.lines, result.describe()
    assert result.exit_code == 0, result.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("name", dtb_regressions("version-"))
def test_loader_refuses_old_version_regression(booter, artifacts, name):
    # On the host this blob crashed libfdt's fdt_check_full (NULL name); the
    # loader must refuse it with one error line, whichever check catches it.
    _, result = boot_past_precheck(booter, artifacts, name)
    errors = [l for l in result.lines if l.startswith("loader: error: ")]
    assert len(errors) == 1, result.describe()
    assert errors[0].startswith("loader: error: payload kernel.dtb is not a valid DTB: "), \
        result.describe()
    assert result.exit_code == 0, result.describe()
