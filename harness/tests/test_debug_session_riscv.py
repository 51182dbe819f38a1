"""`make debug` on a riscv64 image, driven non-interactively like
test_debug_session.py: the session stops at the reset vector (M-mode), the
loader, the kernel's entry and the root task's first instruction in U-mode,
and at each `where`, `handoff`, `el`, `pt-walk` (Sv39) and `bootinfo` print
lines whose numbers come from the ELF files, the loader's serial log (the
DTB size OpenSBI handed over, the satp it entered the kernel with) and
QEMU's own translation (`monitor gva2gpa`). The negative: `pt-walk` of the
user VA through the loader's tables, which do not map it, names the level
whose entry has V=0.

Kernels: the riscv64 stand-in of two releases (one MCS: its BootInfo layout
differs) and every single-core riscv64 kernel in SEL4_KERNEL."""

import os
import re

import pytest

from bootcheck.kernel import expect, target

from conftest import BUILD, SEL4_KERNELS
from test_debug_session import run_debug

KERNEL_ARCHES = ("riscv64",)
pytestmark = pytest.mark.qemu

# QEMU's riscv virt board starts every hart in M-mode at its reset ROM.
RESET_VECTOR = 0x1000
COMMANDS = ["where", "handoff", "el", "bc-continue loader", "where", "pt-walk $$pc",
            "bc-continue kernel", "where", "handoff", "el", "pt-walk", "pt-walk 0x400000",
            "bc-continue roottask", "where", "el", "bootinfo", "pt-walk $$pc", "monitor gva2gpa 0x400000",
            "kill"]
NAMES = ["ui_p_reg_start", "ui_p_reg_end (exclusive)", "pv_offset", "v_entry", "dtb_addr_p", "dtb_size"]


def _kernels():
    out = [(f"standin-{rel}", os.path.join(BUILD, "targets", "standin", "riscv64", f"kernel-{rel}.elf"))
           for rel in ("16.0.0", "13.0.0-mcs")]
    out += [(fid, p) for fid, p in SEL4_KERNELS if os.path.isfile(p) and target.read(p).arch == "riscv64"
            and target.read(p).cores == 1]
    return out


@pytest.mark.parametrize("kernel", [p for _, p in _kernels()], ids=[fid for fid, _ in _kernels()])
def test_make_debug_riscv_commands(kernel, artifacts, tmp_path):
    roottask = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
    for path in (kernel, roottask):
        if not os.path.isfile(path):
            pytest.skip(f"{path} is not built (`make all`)")
    out = run_debug(kernel, roottask, "", tmp_path / "debug.elf", tmp_path / "debug", timeout=180,
                    commands=COMMANDS)
    serial = open(tmp_path / "debug" / "serial.log", errors="replace").read()
    m = re.search(r"^loader: DTB from firmware at 0x[0-9a-f]+, (\d+) bytes", serial, re.M)
    assert m, serial
    dtb_size = int(m.group(1))
    satp = int(re.search(r"^loader: handoff .* satp=0x([0-9a-f]+)", serial, re.M).group(1), 16)
    root = (satp & ((1 << 44) - 1)) << 12
    h = expect.expected_handoff(kernel, roottask, dtb_size)
    loader, k, u = (expect.elf_facts(p) for p in (str(tmp_path / "debug.elf"), kernel, roottask))
    t = target.read(kernel)
    reset = f"pc 0x{RESET_VECTOR:x} in the firmware's code"
    want = [
        f"boot stage: firmware (M-mode: QEMU's reset code, OpenSBI); priv M (3); {reset}",
        f"not at the kernel's entry yet ({reset}); use bc-continue kernel",
        "priv M (3)",
        # each bc-continue says where it stopped, and `where` says it again
        *[f"boot stage: loader; priv S (1); pc 0x{loader.entry:x} in the loader's _start"] * 2,
        f"VA 0x{loader.entry:x} via satp 0x0 (Bare: paging off, VA = PA)",
        "  -> no walk: paging is off",
        *[f"boot stage: kernel boot; priv S (1); pc 0x{k.entry:x} in the kernel's _start"] * 2,
        *[f"a{i} = 0x{h.x[i]:016x}  {NAMES[i]}  ok" for i in range(6)],
        f"DTB: [0x{h.x[4]:x}..0x{h.x[4] + dtb_size:x}) magic 0xd00dfeed (FDT, totalsize 0x{dtb_size:x})",
        f"satp 0x{satp:x} (Sv39, ASID 0, root PPN 0x{root >> 12:x} = table at PA 0x{root:x})",
        "priv S (1)",
        f"VA 0x400000 via satp 0x{satp:x} (Sv39, ASID 0, root PPN 0x{root >> 12:x} = table at PA 0x{root:x})",
        f"  -> not mapped: V=0 in the level-2 entry 0 at PA 0x{root:x} (0x0)",
        *[f"boot stage: root task; priv U (0); pc 0x{u.entry:x} in the root task's _start"] * 2,
        "priv U (0)",
        f"seL4_BootInfo at 0x{h.user_virt[1] + 0x1000:x} (seL4 {t.release}{' MCS' if t.mcs else ''} layout)",
    ]
    lines = out.splitlines()
    assert [l for l in lines if l in want] == want, out
    # The contract's four hand-off links, each judged and each holding.
    for rule in ("user_region", "pv_offset", "user_entry", "dtb"):
        assert re.search(rf"^contract pass {rule}: ", out, re.M), out
    assert "contract fail" not in out, out
    # The kernel window: the kernel's virtual range onto its physical image, V R W X A D, not U.
    kv = (k.vmin, expect.round_up(k.vmax, 0x1000))
    row = re.search(rf"^  \[0x{kv[0]:x}\.\.0x([0-9a-f]+)\) -> PA \[0x{k.pmin:x}\.\.0x[0-9a-f]+\)  level-(\d) leaf "
                    rf"\(.*\) 0x[0-9a-f]{{16}} at PA 0x[0-9a-f]+  (\S{{8}})$", out, re.M)
    assert row, out
    assert re.fullmatch(r"VRWX-[G-]AD", row.group(3)), row.group(0)
    # BootInfo: the IPC buffer after the image, one frame cap per image page, MCS's SchedControl caps.
    assert re.search(rf"^  ipcBuffer +0x{h.user_virt[1]:x}$", out, re.M), out
    pages = (h.user_virt[1] - h.user_virt[0]) // 4096
    assert re.search(rf"^  userImageFrames +\[0x[0-9a-f]+, 0x[0-9a-f]+\)  {pages} caps$", out, re.M), out
    assert bool(re.search(r"^  schedcontrol +\[0x[0-9a-f]+, 0x[0-9a-f]+\)  1 caps$", out, re.M)) == bool(t.mcs), out
    # The root task's entry through the root task's own Sv39 tables, as QEMU translates it.
    entry_pa = h.x[0] + (u.entry - h.user_virt[0])
    assert f"  -> PA 0x{entry_pa:x} (4 KiB page)" in out, out
    assert f"gpa: 0x{entry_pa:x}" in out, "pt-walk and QEMU's gva2gpa disagree"
    assert re.search(r"^  V=1 R=1 W=\d X=1 U=1 G=0 A=\d D=\d$", out, re.M), out
