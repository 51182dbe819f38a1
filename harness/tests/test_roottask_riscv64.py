"""The riscv64 root task and its components (make roottask-riscv64 ->
build/roottask/riscv64/, and the chain_fault root task with its faulty
component, make roottask-riscv64-chain-fault): built by this test (a no-op when up to date),
then each ELF is checked for what seL4 on RISC-V and the stock elfloader
need: a RISC-V ELF64 executable with the soft-float ABI (seL4 13.0.0 runs
user code with the FPU off) and no floating-point instruction, entered at
its link base, two PT_LOAD segments (R+X, then R+W, none writable and
executable), and only the sections the linker scripts place (RISC-V's
small-data and attribute sections must not end up as stray loadable ones).
Booting them on real seL4 is the loader's business (roottask/README.md
lists what was measured)."""

import os
import subprocess

import pytest
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

from conftest import BUILD, ROOT

pytestmark = pytest.mark.unit

RV_DIR = os.path.join(BUILD, "roottask", "riscv64")
EM_RISCV = "EM_RISCV"
EF_RISCV_FLOAT_ABI = 0x6        # e_flags bits 1-2: 0 = soft float
# (file, link base = entry, allocated sections in address order)
ELFS = [
    ("roottask.elf", 0x400000, [".text", ".rodata", ".registry", ".data", ".bss"]),
    ("system_init.elf", 0x10000000, [".text", ".rodata", ".data", ".bss"]),
    ("ipc_producer.elf", 0x11000000, [".text", ".rodata", ".data", ".bss"]),
    ("ipc_consumer.elf", 0x12000000, [".text", ".rodata", ".data", ".bss"]),
    ("roottask-chain-fault.elf", 0x400000, [".text", ".rodata", ".registry", ".data", ".bss"]),
    ("fixtures/faulty.elf", 0x13000000, [".text", ".rodata", ".data", ".bss"]),
]
# RISC-V F/D/Q/Zfh instructions all start with f (fld, fsd, fadd.d, fmv.x.d,
# fcvt..., fence excepted) and the FP CSR accessors are frcsr/fscsr/...
FENCES = ("fence", "fence.i", "fence.tso")


@pytest.fixture(scope="module")
def built():
    r = subprocess.run(["make", "-s", f"BUILD={BUILD}", "roottask-riscv64",
                        "roottask-riscv64-chain-fault"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return RV_DIR


@pytest.mark.parametrize("name,base,sections", ELFS, ids=[e[0] for e in ELFS])
def test_riscv64_elf(built, name, base, sections):
    path = os.path.join(built, name)
    with open(path, "rb") as f:
        elf = ELFFile(f)
        assert (elf.elfclass, elf.little_endian) == (64, True)
        assert elf["e_type"] == "ET_EXEC"
        assert elf["e_machine"] == EM_RISCV
        assert elf["e_flags"] & EF_RISCV_FLOAT_ABI == 0, f"{name}: e_flags {elf['e_flags']:#x}: not soft-float"
        assert elf["e_entry"] == base
        start = elf.get_section_by_name(".symtab").get_symbol_by_name("_start")
        assert start is not None and start[0]["st_value"] == base
        allocated = [s.name for s in elf.iter_sections() if s["sh_flags"] & 0x2]   # SHF_ALLOC
        assert allocated == sections
        loads = [p for p in elf.iter_segments() if p["p_type"] == "PT_LOAD"]
        rx, rw = P_FLAGS.PF_R | P_FLAGS.PF_X, P_FLAGS.PF_R | P_FLAGS.PF_W
        assert [p["p_flags"] for p in loads] == [rx, rw]
        assert loads[0]["p_vaddr"] == base and all(p["p_vaddr"] % 0x1000 == 0 for p in loads)


def mnemonics(path):
    """(address line, mnemonic) of each instruction objdump disassembles."""
    out = subprocess.run(["riscv64-linux-gnu-objdump", "-d", "--no-show-raw-insn", path],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) > 1 and fields[0].strip().endswith(":"):
            yield line, fields[1].split()[0]


def test_riscv64_no_floating_point_instructions(built, tmp_path):
    # The filter itself finds FP code: a hard-float multiply.
    src = tmp_path / "fp.c"
    src.write_text("double f(double a, double b) { return a * b; }\n")
    subprocess.run(["riscv64-linux-gnu-gcc", "-O2", "-c", str(src), "-o", str(tmp_path / "fp.o")],
                   check=True)
    assert [m for _, m in mnemonics(str(tmp_path / "fp.o")) if m.startswith("f")] == ["fmul.d"]
    for name, _, _ in ELFS:
        insns = list(mnemonics(os.path.join(built, name)))
        fp = [line for line, m in insns if m.startswith("f") and m not in FENCES]
        assert fp == [], f"{name}: floating-point instructions: {fp[:5]}"
        assert "ecall" in [m for _, m in insns], f"{name}: no ecall: not a seL4 riscv64 program?"


def test_aarch64_roottask_unchanged_machine():
    """The AArch64 root task keeps its path and machine."""
    path = os.path.join(BUILD, "roottask", "roottask.elf")
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make all` first")
    with open(path, "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_AARCH64" and elf["e_entry"] == 0x400000
