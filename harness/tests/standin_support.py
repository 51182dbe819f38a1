"""The stand-in kernel's builds (targets/targets.mk: one per seL4 release it
imitates and per configuration) and which one stands in for a given real
seL4 kernel: the same release, MCS or not, and core count (EL1; a real hyp
kernel pairs with the EL1 build of its release and configuration)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bootcheck.kernel import target  # noqa: E402
from conftest import BUILD  # noqa: E402

RELEASES = ("13.0.0", "14.0.0", "15.0.0", "16.0.0")
CONFIGS = ("", "-mcs", "-smp4", "-mcs-smp4")
# kernel-<release><config>.elf; kernel.elf and kernel-smp4.elf are copies of
# the 13.0.0 builds.
BUILDS = tuple(f"{r}{c}" for r in RELEASES for c in CONFIGS)
STANDIN_DIR = os.path.join(BUILD, "targets", "standin")
# riscv64 (targets.mk's STANDIN_RV_KERNELS and STANDIN_RV_SMP_KERNELS): the
# same releases and configurations, in build/targets/standin/riscv64/;
# kernel.elf and kernel-smp4.elf there are copies of the 13.0.0 builds.
RV_BUILDS = BUILDS
STANDIN_RV_DIR = os.path.join(STANDIN_DIR, "riscv64")
STANDIN_RV_KERNEL = os.path.join(STANDIN_RV_DIR, "kernel.elf")
STANDIN_RV_SMP_KERNEL = os.path.join(STANDIN_RV_DIR, "kernel-smp4.elf")


def build_path(build):
    return os.path.join(STANDIN_DIR, f"kernel-{build}.elf")


def rv_build_path(build):
    """A riscv64 stand-in build's path (build: one of RV_BUILDS)."""
    return os.path.join(STANDIN_RV_DIR, f"kernel-{build}.elf")


def build_of(release, mcs, cores):
    """The build name imitating that release and configuration."""
    return f"{release}{'-mcs' if mcs else ''}{f'-smp{cores}' if cores > 1 else ''}"


def require_build(build):
    path = build_path(build)
    if not os.path.isfile(path):
        pytest.fail(f"stand-in build {build} is missing at {path}: run `make all` first")
    return path


def paired_build(sel4_path):
    """The stand-in build that imitates the real kernel at sel4_path; skips
    when the kernel's release or configuration cannot be told."""
    t = target.read(sel4_path)
    if t.release is None or t.mcs is None or t.cores is None:
        pytest.skip(f"{sel4_path}: {t.unknown_line()}")
    build = build_of(t.release, t.mcs, t.cores)
    if build not in BUILDS:
        pytest.skip(f"{sel4_path}: no stand-in build imitates {t.describe()}")
    return build


def paired_path(sel4_path):
    """The path of paired_build's build in the real kernel's architecture
    (riscv64 builds live in build/targets/standin/riscv64/)."""
    build = paired_build(sel4_path)
    return rv_build_path(build) if target.read(sel4_path).arch == "riscv64" else build_path(build)
