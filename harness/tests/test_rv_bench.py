"""make bench on riscv64 (bootcheck.cost.rv_bench): the riscv64 emu-check's
--phases split of our loader on the riscv64 stand-in adds up to its count,
each phase holds the work the loader's code says it does, and a malformed
phase spec is refused with one line."""

import os
import subprocess

import pytest

from bootcheck.cost import rv_bench
from bootcheck.pack import images
from conftest import BUILD

EMU_RV = os.path.join(BUILD, "harness", "riscv64", "emu-check")
KERNEL = os.path.join(BUILD, "targets", "standin", "riscv64", "kernel.elf")
ROOTTASK = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    return images.pack_ok(KERNEL, ROOTTASK, str(tmp_path_factory.mktemp("rvbench") / "image.elf"))


@pytest.mark.emu
def test_phases_add_up_to_the_count(image, tmp_path):
    r = rv_bench.count(BUILD, image, None, 1, str(tmp_path), "ours", rv_bench.OURS)
    assert r["outcome"] == "reached_kernel", r["message"]
    phases = {p["name"]: p for p in r["phases"]["phases"]}
    assert list(phases) == ["reset_to_c", *(n for n, _ in rv_bench.OURS["phases"]), "other"]
    assert sum(p["instructions"] for p in phases.values()) == r["instructions"]
    # The loader's own structure: four console lines on a single-hart boot,
    # one copy for the DTB and one per loaded segment of either ELF, no SMP.
    assert phases["console"]["calls"] == 4
    assert phases["copy"]["calls"] >= 3
    assert phases["smp"]["calls"] == 0 and phases["smp"]["instructions"] == 0
    for name in ("reset_to_c", "dtb", "validate_plan", "copy", "zero", "tables", "console"):
        assert phases[name]["instructions"] > 0, name
    # Each phase is measured through the functions that do its work.
    for name, symbols in (("dtb", "fdt_scan"), ("copy", "memmove"), ("zero", "memset"),
                          ("tables", "mmu_build_handoff"), ("console", "console_printf")):
        assert symbols in r["phases"]["symbols"][name], (name, r["phases"]["symbols"])
    # Without --phases the count is the same: splitting costs the guest nothing.
    plain = rv_bench.count(BUILD, image, None, 1, str(tmp_path), "plain")
    assert plain["instructions"] == r["instructions"] and plain["phases"] is None


@pytest.mark.emu
@pytest.mark.parametrize("spec,line", [
    ("main=loader_main;dtb", "emu-check: phases: --phases: 'dtb' is not NAME=SYMBOL[,SYMBOL...]"),
    ("dtb=fdt_scan", "emu-check: phases: --phases: the image has no C entry symbol (main=...)"),
    ("main=loader_main;copy=memmove,,memset",
     "emu-check: phases: --phases: empty or overlong symbol name in 'copy=memmove,,memset'"),
])
def test_a_malformed_phase_spec_is_refused(image, tmp_path, spec, line):
    proc = subprocess.run([EMU_RV, image, "--json", str(tmp_path / "x.json"), "--phases", spec],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip() == line, proc.stderr
    assert not (tmp_path / "x.json").exists()
