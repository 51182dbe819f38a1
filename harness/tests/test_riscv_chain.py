"""The riscv64 boot chain: bootcheck's riscv64 loader -> kernel -> root task
-> system_init -> ipc_producer / ipc_consumer, on every riscv64 stand-in
release build (13.0.0 .. 16.0.0, non-MCS and MCS) and, with SEL4_KERNEL
listing riscv64 kernels, on real seL4 for RISC-V (skipped with the reason
otherwise). The chain needs the kernel's RISC-V VSpace invocations
(ASIDPool_Assign, PageTable_Map, Page_Map), each component running in its
own address space, and VM faults delivered to the fault endpoint.

Three images per kernel (the fault chain and errprobe on the first and last
stand-in release only), each booted once per run (booter.boot_shared; every
test of the module reads the same boot): the chain's root task
(roottask/components.toml) and the chain_fault one, whose faulty component
stores to an address nothing maps. Expected values come from the manifests,
faulty.c and faulty.elf, never from a previous run's output: the fault
report's pc is the one store in component_main that does not go through sp,
its FSR seL4's RISCVStoreAccessFault (7: seL4 reports a store page fault
with the access fault's cause, handleVMFault). errprobe (the riscv64 build
of fixtures/components/errprobe/) provokes the spawn path's invocation
errors, RISC-V's PageTable_Map, Page_Map and ASIDPool_Assign among them:
each code must be the one test_spawn_checks.py's table gives for seL4."""

import os
import re
import subprocess

import pytest

from bootcheck.kernel import expect, target

from conftest import BUILD, ROOT, SEL4_KERNELS

from spawn_support import facts, manifest
from test_spawn_checks import CASES as ERRPROBE_CASES

# Real kernels of both architectures come here; each test picks its own.
KERNEL_ARCHES = ("aarch64", "riscv64")

pytestmark = pytest.mark.qemu

RV_ROOTTASK_DIR = os.path.join(BUILD, "roottask", "riscv64")
ROOTTASK = os.path.join(RV_ROOTTASK_DIR, "roottask.elf")
ROOTTASK_CHAIN_FAULT = os.path.join(RV_ROOTTASK_DIR, "roottask-chain-fault.elf")
FAULTY_ELF = os.path.join(RV_ROOTTASK_DIR, "fixtures", "faulty.elf")
ERRPROBE = os.path.join(RV_ROOTTASK_DIR, "fixtures", "errprobe.elf")
FAULTY_SOURCE = os.path.join(ROOT, "fixtures", "components", "faulty.c")
CHAIN_FAULT_MANIFEST = os.path.join(ROOT, "fixtures", "components", "chain_fault.toml")
STANDIN_RV = os.path.join(BUILD, "targets", "standin", "riscv64")
RELEASES = ("13.0.0", "14.0.0", "15.0.0", "16.0.0")
# seL4's RISCVStoreAccessFault (the RISC-V scause of a store access fault).
STORE_ACCESS_FAULT = 7
BOOT_TIMEOUT = 120


def _kernels():
    """(id, path) of every kernel the chain runs on: the stand-in's release
    builds, then SEL4_KERNEL's riscv64 kernels (or one skipped case)."""
    out = [(f"standin-rv-{r}{c}", os.path.join(STANDIN_RV, f"kernel-{r}{c}.elf"))
           for r in RELEASES for c in ("", "-mcs")]
    real = [(fid, path) for fid, path in SEL4_KERNELS
            if os.path.isfile(path) and target.read(path).arch == "riscv64"]
    return out + (real or [("sel4-rv64", None)])


KERNELS = _kernels()
# The fault chain and errprobe boot on the first and last release of the
# stand-in (non-MCS and MCS) and on every real kernel.
FAULT_KERNELS = [k for k in KERNELS if not k[0].startswith("standin-")
                 or any(f"-{r}" in k[0] for r in (RELEASES[0], RELEASES[-1]))]


def _kernel_path(request):
    fid, path = request.param
    if path is None:
        pytest.skip("no real riscv64 seL4 kernel given "
                    "(make verify SEL4_KERNEL=\".../13.0.0-rv64/kernel.elf ...\")")
    if not os.path.isfile(path):
        pytest.fail(f"{path} is missing: run `make all` first", pytrace=False)
    return path


@pytest.fixture(params=KERNELS, ids=[k[0] for k in KERNELS])
def kernel(request):
    return _kernel_path(request)


@pytest.fixture(params=FAULT_KERNELS, ids=[k[0] for k in FAULT_KERNELS])
def fault_kernel(request):
    return _kernel_path(request)


_boots = {}


def boot_once(kernel_path, roottask, booter):
    if not os.path.isfile(roottask):
        pytest.fail(f"{roottask} is missing: run `make all` first", pytrace=False)
    key = (kernel_path, roottask)
    if key not in _boots:
        _boots[key] = booter.boot_shared(booter.pack(kernel_path, roottask), timeout=BOOT_TIMEOUT)
    return _boots[key]


def chain_lines(doc, outcome=None):
    """The root task's chain summary, in registry order."""
    outcome = outcome or {}
    out = []
    for parent in ["roottask"] + [c["name"] for c in doc["component"]]:
        kids = [c["name"] for c in doc["component"] if c["parent"] == parent]
        if kids:
            out.append(f"roottask: chain: {parent} -> " +
                       ", ".join(f"{k} {outcome.get(k, 'ok')}" for k in kids))
    return out


def test_riscv_chain_components_ok(kernel, booter):
    r = boot_once(kernel, ROOTTASK, booter)
    doc = manifest()
    lines = r.lines
    assert "roottask: boot OK" in lines, r.describe()
    for c in doc["component"]:
        assert f"{c['name']}: started" in lines, r.describe()
        assert f"{c['parent']}: {c['name']} running, IPC OK" in lines, r.describe()
        assert f"{c['parent']}: {c['name']} done" in lines, r.describe()
    assert [l for l in lines if l.startswith("roottask: chain: ")] == chain_lines(doc), r.describe()
    assert "roottask: components OK" in lines, r.describe()
    assert "FAILED" not in r.serial and "invocation failed" not in r.serial, r.describe()


def faulty_address():
    with open(FAULTY_SOURCE) as f:
        return int(re.search(r"#define FAULTY_ADDRESS (0x[0-9a-fA-F]+)ul", f.read()).group(1), 16)


def faulting_store_pc():
    """The address of the one store in faulty's component_main that is not
    relative to sp (its stack frame): the store to FAULTY_ADDRESS."""
    start, size = expect.elf_facts(FAULTY_ELF).symbols["component_main"]
    out = subprocess.run(["riscv64-linux-gnu-objdump", "-d", "--no-show-raw-insn",
                          f"--start-address={start:#x}", f"--stop-address={start + size:#x}",
                          FAULTY_ELF], capture_output=True, text=True, check=True).stdout
    stores = [int(m.group(1), 16) for m in
              re.finditer(r"^\s*([0-9a-f]+):\s+(?:c\.)?s[bhwd]\s+\w+,-?\d+\((?!sp\))\w+\)", out, re.M)]
    assert len(stores) == 1, f"faulty.elf: expected one non-stack store in component_main:\n{out}"
    return stores[0]


def test_riscv_chain_fault_report(fault_kernel, booter):
    """faulty's store faults; seL4 sends the VMFault to system_init, which
    names it; the others finish; the root task's summary names faulty."""
    r = boot_once(fault_kernel, ROOTTASK_CHAIN_FAULT, booter)
    address = faulty_address()
    report = (f"component faulty faulted: VMFault at pc {faulting_store_pc():#x}, "
              f"address {address:#x} (data access, FSR {STORE_ACCESS_FAULT:#x})")
    lines = r.lines
    assert f"faulty: storing to {address:#x}, which is not mapped" in lines, r.describe()
    assert f"system_init: {report}" in lines, r.describe()
    assert f"system_init: FAILED: {report}" in lines, r.describe()
    assert "faulty: FAILED: the store did not fault" not in lines, r.describe()
    for name in ("ipc_producer", "ipc_consumer"):
        assert f"system_init: {name} done" in lines, r.describe()
    assert "roottask: system_init reports that faulty failed" in lines, r.describe()
    assert "roottask: boot FAILED: component faulty failed (reported by system_init)" in lines, \
        r.describe()
    assert [l for l in lines if l.startswith("roottask: chain: ")] == \
        chain_lines(manifest(CHAIN_FAULT_MANIFEST), {"faulty": "FAILED"}), r.describe()


def test_riscv_errprobe_codes_match_sel4(fault_kernel, booter):
    r = boot_once(fault_kernel, ERRPROBE, booter)
    assert "roottask: probe done" in r.lines, r.describe()
    got = {k[len("probe."):]: [int(v) for v in vals] for k, vals in facts(r.serial).items()
           if k.startswith("probe.")}
    assert set(got) == set(ERRPROBE_CASES), r.describe()
    wrong = {case: (got[case], want, rule) for case, (want, rule) in ERRPROBE_CASES.items()
             if got[case] != want}
    assert wrong == {}, f"{wrong}\n{r.describe()}"
