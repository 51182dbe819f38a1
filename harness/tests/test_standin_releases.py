"""The stand-in's builds (one per seL4 release 13.0.0 .. 16.0.0, non-MCS and
MCS, one and four cores; targets/targets.mk): each reads, from its ELF
alone, as the release and configuration it imitates (the evidence real seL4
builds carry, bootcheck.kernel.target; stripped too), prints the boot
log in that release's words, and runs the project's root task to
`roottask: components OK`, the root task finding the release and
configuration it runs on."""

import re
import subprocess

import pytest

from bootcheck.kernel import target
from spawn_support import facts
from standin_support import BUILDS, require_build

pytestmark = pytest.mark.qemu

RAM_START, RAM_END = 0x40000000, 0x80000000


def imitated(build):
    """(release, mcs, cores) a build name says."""
    release = build.split("-")[0]
    return release, "-mcs" in build, 4 if "-smp4" in build else 1


def read_as(path, build):
    t = target.read(path)
    release, mcs, cores = imitated(build)
    assert (t.kind, t.release, t.mcs, t.cores, t.hyp) == ("stand-in", release, mcs, cores, False), \
        f"{path} reads as {t.describe()} ({t.evidence})"
    assert t.debug and t.printing, t.describe()


@pytest.mark.parametrize("build", BUILDS)
def test_reads_as_the_release_it_imitates(build, tmp_path):
    path = require_build(build)
    read_as(path, build)
    # A stripped copy (what seL4's stock elfloader packs) keeps its texts.
    stripped = tmp_path / "stripped.elf"
    subprocess.run(["aarch64-linux-gnu-strip", "-o", str(stripped), path], check=True)
    read_as(str(stripped), build)
    assert target.read(str(stripped)).stripped


def boot_log_words(release):
    """The region list as seL4 `release` prints it: 16.0 capitalises the
    headings, 14.0 made the ranges half-open."""
    cap = release == "16.0.0"
    return (f"{'A' if cap else 'a'}vailable phys memory regions: 1",
            f"{'R' if cap else 'r'}eserved virt address space regions: ",
            "]" if release == "13.0.0" else ")")


_boots = {}


def roottask_run(build, artifacts, booter):
    """The root task booted once per build for the whole run (booter.boot_shared,
    across xdist workers; the 13.0.0 builds' images are also test_chain's,
    test_abi_detect's and test_standin_smp's, byte for byte)."""
    if build not in _boots:
        image = booter.pack(require_build(build), artifacts.roottask)
        _boots[build] = booter.boot_shared(image, timeout=90)
    return _boots[build]


@pytest.mark.parametrize("build", BUILDS)
def test_boot_log_in_the_release_words(build, artifacts, booter):
    r = roottask_run(build, artifacts, booter)
    release, _, _ = imitated(build)
    available, reserved, close = boot_log_words(release)
    lines = r.lines
    assert available in lines, r.describe()
    i = lines.index(available)
    assert lines[i + 1] == f"  [{RAM_START:x}..{RAM_END:x}{close}", r.describe()
    assert lines[i + 2].startswith(reserved), r.describe()
    n = int(lines[i + 2][len(reserved):])
    for line in lines[i + 3:i + 3 + n]:
        assert re.fullmatch(rf"  \[ffffff80[0-9a-f]+\.\.ffffff80[0-9a-f]+\{close}", line), r.describe()
    assert lines[i + 3 + n] == "Booting all finished, dropped to user space", r.describe()


@pytest.mark.parametrize("build", BUILDS)
def test_roottask_components_ok(build, artifacts, booter):
    """The root task finds the kernel's ABI (it cannot tell 15.0 from 16.0:
    their numbers agree) and every component of its manifest runs."""
    r = roottask_run(build, artifacts, booter)
    release, mcs, cores = imitated(build)
    release = release.rsplit(".", 1)[0]
    release = "15.0/16.0" if release in ("15.0", "16.0") else release
    got = facts(r.serial)
    assert got.get("sel4.abi") == [release, "mcs" if mcs else "nonmcs", f"smp={int(cores > 1)}"], \
        r.describe()
    assert "roottask: components OK" in r.lines, r.describe()
