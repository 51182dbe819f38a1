"""The target description (bootcheck.kernel.target), read once from a kernel ELF:
release, MCS, hyp, cores, debug/printing, with the evidence, on the
stand-in builds, the probe kernels, stripped copies of each and (with
SEL4_KERNEL) real seL4 builds, whose expected values come from the build's
own record of how it was configured (config.txt beside kernel.elf: the
seL4 tag and the generated gen_config.h defines)."""

import glob
import os
import re
import subprocess

import pytest

from bootcheck.kernel import target

from conftest import BUILD, SEL4_KERNELS, Artifacts

# The target description is read alike for both architectures.
KERNEL_ARCHES = ("aarch64", "riscv64")

STRIP = {"aarch64": "aarch64-linux-gnu-strip", "riscv64": "riscv64-linux-gnu-strip"}


def stripped(path, tmp_path):
    out = tmp_path / ("stripped-" + os.path.basename(path))
    subprocess.run([STRIP[target.read(path).arch], "-o", str(out), path], check=True)
    return str(out)


def test_stand_in_reads_as_the_release_it_imitates(tmp_path):
    """main's stand-in honours seL4 13.0.0 (README) and prints its words."""
    for path in (Artifacts.standin_kernel, stripped(Artifacts.standin_kernel, tmp_path)):
        t = target.read(path)
        assert (t.kind, t.release, t.mcs, t.hyp, t.el, t.arch) == ("stand-in", "13.0.0", False, False, 1, "aarch64")
        assert t.describe().startswith("stand-in for seL4 13.0.0 non-MCS, EL1")
    assert target.read(Artifacts.standin_kernel).cores == 1


def _standin_builds():
    """The stand-in's per-release builds, named kernel-<release>[-mcs][-smp<n>].elf."""
    out = []
    for arch_dir in ("", "riscv64"):
        for path in sorted(glob.glob(os.path.join(BUILD, "targets", "standin", arch_dir, "kernel-*.elf"))):
            m = re.fullmatch(r"kernel-(\d+\.\d+\.\d+)(-mcs)?(?:-smp(\d+))?\.elf", os.path.basename(path))
            if m:
                out.append(pytest.param(path, m[1], bool(m[2]), int(m[3] or 1),
                                        id=os.path.join(arch_dir, os.path.basename(path))))
    smp = os.path.join(BUILD, "targets", "standin", "kernel-smp4.elf")
    if os.path.exists(smp):
        out.append(pytest.param(smp, "13.0.0", False, 4, id="kernel-smp4.elf"))
    return out


@pytest.mark.parametrize("path,release,mcs,cores", _standin_builds())
def test_stand_in_builds(path, release, mcs, cores):
    t = target.read(path)
    assert (t.kind, t.release, t.mcs, t.cores, t.hyp) == ("stand-in", release, mcs, cores, False), t.evidence


def test_riscv64_15_or_16_without_boot_texts_cannot_be_told(tmp_path):
    """On riscv64 seL4 15.0 and 16.0 have the same symbol names (AArch64's
    cur_el_serr is what tells them apart there): a non-printing riscv64 kernel
    with ksDomScheduleStart is not guessed to be either."""
    src = tmp_path / "k.S"
    src.write_text(".globl _start\n_start: j _start\n.data\n.globl ksDomScheduleStart\n"
                   "ksDomScheduleStart: .quad 0\n")
    elf = tmp_path / "k.elf"
    subprocess.run(["riscv64-linux-gnu-gcc", "-nostdlib", "-static", "-Wl,-Ttext=0x80200000", "-o", str(elf),
                    str(src)], check=True)
    t = target.read(str(elf))
    assert (t.arch, t.release) == ("riscv64", None)
    assert t.unknown_line().startswith(
        "release cannot be told: symbol ksDomScheduleStart says 15.0 or later; on riscv64 only a printing "
        "build's boot texts tell 15.0 from 16.0, and this kernel has none of them")


def test_probe_kernel_release_cannot_be_told(tmp_path):
    t = target.read(Artifacts.probe_el1)
    assert t.release is None and t.unknown_line() == (
        "release cannot be told: none of seL4 13.0-16.0's release marker symbols (fpuThreadDelete, "
        "fpuRelease, ksDomScheduleStart, cur_el_serr) nor release-specific texts")
    assert t.id() == "sel4-el1"
    s = target.read(stripped(Artifacts.probe_el1, tmp_path))
    assert s.stripped and (s.release, s.mcs, s.cores) == (None, None, None)
    assert s.unknown_line().startswith(
        "release cannot be told: the kernel is stripped (no .symtab) and has no seL4 boot texts (not a "
        "printing build); give KERNEL=<unstripped kernel.elf>; mcs cannot be told: ")
    assert target.read(Artifacts.probe_hyp).hyp and target.read(Artifacts.probe_hyp).el == 2


def _config(kernel):
    """(release, mcs, hyp, cores, debug, printing) from config.txt beside a
    real kernel, or None."""
    path = os.path.join(os.path.dirname(kernel), "config.txt")
    if not os.path.exists(path):
        return None
    text = open(path).read()
    release = re.search(r"^# seL4 (\d+\.\d+\.\d+) ", text, re.M)[1]

    def define(name):
        m = re.search(rf"^#define CONFIG_{name}\s+(\S+)", text, re.M)
        return m[1] if m else None
    return (release, define("KERNEL_MCS") == "1", define("ARM_HYPERVISOR_SUPPORT") == "1",
            int(define("MAX_NUM_NODES")), define("DEBUG_BUILD") == "1", define("PRINTING") == "1")


@pytest.mark.sel4
@pytest.mark.parametrize("fid,path", [pytest.param(fid, path, id=fid) for fid, path in SEL4_KERNELS]
                         or [pytest.param("sel4", None, id="sel4")])
def test_real_kernel(fid, path, tmp_path):
    if path is None:
        pytest.skip("no real seL4 kernel given (make verify SEL4_KERNEL=\"kernel.elf ...\")")
    want = _config(path)
    if want is None:
        pytest.skip(f"no config.txt beside {path}: nothing independent to compare with")
    for p in (path, stripped(path, tmp_path)):
        t = target.read(p)
        assert (t.release, t.mcs, t.hyp, t.cores, t.debug, t.printing) == want, (p, t.evidence)
        assert t.kind == "seL4" and t.unknown() == []
    release, mcs, hyp, cores, _, _ = want
    if target.read(path).arch == "riscv64":
        assert fid.startswith(f"sel4-{release}-rv64{'-mcs' if mcs else ''}{f'-smp{cores}' if cores > 1 else ''}")
        return
    base = ("hyp" if hyp else "el1") if cores == 1 else ("hyp-" if hyp else "") + f"smp{cores}"
    assert fid.startswith(f"sel4-{release}-{'mcs-' if mcs else ''}{base}")
