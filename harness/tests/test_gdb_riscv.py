"""Host-side tests of the riscv64 code that runs inside gdb for `make debug`
(harness/gdb/bcgdb/sv39.py, scause.py, the firmware stage) and of the
hand-off rules `handoff` prints (bootcheck.check.rv_contract.judge_handoff): the
Sv39 walker on hand-built tables, its constants against
loader/common/sv39walk.h, the cause names against loader/common/scause.c."""

import os
import re
import sys

import pytest

from bootcheck.check import contract, rv_contract
from bootcheck.kernel import expect

from conftest import BUILD, ROOT

sys.path.insert(0, os.path.join(ROOT, "harness", "gdb"))
from bcgdb import scause, stage, sv39  # noqa: E402

pytestmark = pytest.mark.unit

SV39_HEADER = os.path.join(ROOT, "loader", "common", "sv39walk.h")
SCAUSE_C = os.path.join(ROOT, "loader", "common", "scause.c")


def header_values():
    """#define NAME value from sv39walk.h, with UINT64_C evaluated."""
    out = {}
    for m in re.finditer(r"^#define\s+(\w+)\s+(.+?)\s*(?:/\*.*)?$", open(SV39_HEADER).read(), re.M):
        body = re.sub(r"UINT64_C\((\w+)\)", r"\1", m.group(2)).replace("0u", "0").replace("8u", "8")
        try:
            out[m.group(1)] = eval(body, {"__builtins__": {}})
        except (NameError, SyntaxError):
            pass
    return out


MIRRORED = [n for n in dir(sv39) if re.fullmatch(r"(SV39|SATP)_\w+", n)]


@pytest.mark.parametrize("name", MIRRORED)
def test_sv39_constant_matches_the_c_header(name):
    values = header_values()
    assert name in values, f"{name} is in bcgdb/sv39.py but not in {SV39_HEADER}"
    assert getattr(sv39, name) == values[name], f"{name} drifted from sv39walk.h"


def test_the_mirror_covers_every_pte_bit():
    assert {f"SV39_PTE_{c}" for c in "VRWXUGAD"} <= set(MIRRORED)


def test_cause_names_match_the_c_decoder():
    text = open(SCAUSE_C).read()
    table = re.search(r"exception_names\[16\] = \{(.*?)\};", text, re.S).group(1)
    names = [None if t.strip() == "0" else t.strip().strip('"')
             for t in re.findall(r'"[^"]*"|\b0\b', table)]
    assert len(names) == 16
    for code, name in enumerate(names):
        assert scause.name(code) == (name or "reserved cause"), code
    for code, name in re.findall(r"case (\d+): return \"([^\"]+)\";", text):
        assert scause.name(scause.INTERRUPT | int(code)) == name
    assert scause.describe(13, 0x1000) == "scause 0xd load page fault, stval 0x1000 (the address)"
    assert scause.describe(2, 0x73) == "scause 0x2 illegal instruction, stval 0x73 (the instruction)"
    assert scause.priv(1) == "priv S (1)" and scause.priv(0) == "priv U (0)" and scause.priv(3) == "priv M (3)"


def tables(maps):
    """Fake physical memory with Sv39 tables; maps: [(va, pa, level, flags)]
    (level 2: 1 GiB leaf .. 0: 4 KiB). Returns (root, read_u64)."""
    mem, root, free = {}, 0x80010000, [0x80011000]

    def next_table(table, index):
        at = table + 8 * index
        if at not in mem:
            mem[at] = (free[0] >> 12) << 10 | sv39.SV39_PTE_V
            free[0] += 0x1000
        return sv39.pte_pa(mem[at])

    for va, pa, level, flags in maps:
        table = root
        for lvl in range(2, level, -1):
            table = next_table(table, (va >> sv39.level_shift(lvl)) & 511)
        mem[table + 8 * ((va >> sv39.level_shift(level)) & 511)] = (pa >> 12) << 10 | flags

    def read(pa):
        if not 0x80000000 <= pa < 0x90000000:
            raise ValueError(f"PA 0x{pa:x} is not RAM")
        return mem.get(pa, 0)
    return root, read


KERNEL_FLAGS = 0xcf | sv39.SV39_PTE_G          # V R W X G A D
USER_FLAGS = 0xdf                              # V R W X U A D


def test_walk_gigapage_megapage_and_page():
    root, read = tables([(0xffffffff80000000, 0x80000000, 2, KERNEL_FLAGS),
                         (0xffffffffc0200000, 0x80200000, 1, KERNEL_FLAGS),
                         (0x400000, 0x80214000, 0, USER_FLAGS)])
    w = sv39.walk(read, 0xffffffff80212345, root)
    assert (w.pa, w.level, w.size, len(w.steps)) == (0x80212345, 2, 1 << 30, 1)
    assert sv39.flags(w.leaf) == "VRWX-GAD"
    w = sv39.walk(read, 0xffffffffc0212345, root)
    assert (w.pa, w.level, len(w.steps)) == (0x80212345, 1, 2)
    w = sv39.walk(read, 0x400abc, root)
    assert (w.pa, w.level, len(w.steps)) == (0x80214abc, 0, 3)
    lines = sv39.describe(w)
    assert lines[0] == f"  level 2 table 0x{root:x}[0] = 0x{w.steps[0].pte:016x}  V-------  -> next table " \
        f"0x{sv39.pte_pa(w.steps[0].pte):x}"
    assert lines[2].endswith("VRWXU-AD  leaf")
    assert lines[3:] == ["  -> PA 0x80214abc (4 KiB page)", "  V=1 R=1 W=1 X=1 U=1 G=0 A=1 D=1"]


def test_walk_names_the_level_where_v_is_clear():
    root, read = tables([(0x400000, 0x80214000, 0, USER_FLAGS)])
    w = sv39.walk(read, 0x600000, root)           # same level-1 table, no level-0 table for it
    l1 = w.steps[1]
    assert w.pa is None and [s.kind for s in w.steps] == ["pointer", "V=0"]
    assert w.fault == f"not mapped: V=0 in the level-1 entry 3 at PA 0x{l1.table + 24:x} (0x0)"
    w = sv39.walk(read, 0x40000000, root)
    assert w.fault == f"not mapped: V=0 in the level-2 entry 1 at PA 0x{root + 8:x} (0x0)"
    assert sv39.describe(w)[-1] == f"  -> {w.fault}"


def test_walk_refuses_what_the_spec_reserves():
    root, read = tables([(0xffffffff80000000, 0x80200000, 2, KERNEL_FLAGS),     # gigapage not 1 GiB aligned
                         (0x400000, 0x80214000, 0, sv39.SV39_PTE_V | sv39.SV39_PTE_W)])
    assert "a misaligned superpage" in sv39.walk(read, 0xffffffff80000000, root).fault
    assert "W without R" in sv39.walk(read, 0x400000, root).fault
    assert sv39.walk(read, 0x7000000000, root).fault == \
        "VA 0x7000000000 is not canonical for Sv39 (bits 63..38 differ)"
    w = sv39.walk(read, 0x1000, 0x1000)          # a root outside RAM
    assert w.fault.startswith("the level-2 table at PA 0x1000 is not readable memory")


def test_window_gives_one_row_per_leaf_and_stops_at_a_hole():
    root, read = tables([(0xffffffff80200000, 0x80200000, 0, KERNEL_FLAGS),
                         (0xffffffff80201000, 0x80201000, 0, KERNEL_FLAGS),
                         (0xffffffff80400000, 0x80400000, 1, KERNEL_FLAGS)])
    rows = sv39.window(read, root, [(0xffffffff80200000, 0xffffffff80202000),
                                    (0xffffffff80400000, 0xffffffff80480000)])
    assert [(lo, hi, w.pa, w.level) for lo, hi, w in rows] == [
        (0xffffffff80200000, 0xffffffff80201000, 0x80200000, 0),
        (0xffffffff80201000, 0xffffffff80202000, 0x80201000, 0),
        (0xffffffff80400000, 0xffffffff80480000, 0x80400000, 1)]
    rows = sv39.window(read, root, [(0xffffffff80200000, 0xffffffff80203000)])
    assert rows[-1][0] == 0xffffffff80202000 and rows[-1][2].fault.startswith("not mapped: V=0 in the level-0")


def test_satp_in_words():
    assert sv39.satp_describe(0x80000000000804b6) == \
        "satp 0x80000000000804b6 (Sv39, ASID 0, root PPN 0x804b6 = table at PA 0x804b6000)"
    assert sv39.satp_describe(0x800010000013ffe2).startswith("satp 0x800010000013ffe2 (Sv39, ASID 1, ")
    assert sv39.satp_describe(0) == "satp 0x0 (Bare: paging off, VA = PA)"


def test_firmware_stage_hints():
    fw = stage.firmware(0x1000, "priv M (3)")
    assert fw.line() == "boot stage: firmware (M-mode: QEMU's reset code, OpenSBI); priv M (3); pc 0x1000 in " \
        "the firmware's code"
    assert stage.handoff_hint(fw, 0xffffffff80200000, "a") == \
        "not at the kernel's entry yet (pc 0x1000 in the firmware's code); use bc-continue kernel"
    assert stage.bootinfo_hint(fw, 0x400000, None, "a").startswith("the root task has not started yet")
    in_root = stage.Where("root task", "priv U (0)", 0x400100, "main", "the root task's")
    assert "a0..a5 no longer hold the hand-off" in stage.handoff_hint(in_root, 0xffffffff80200000, "a")
    assert "so a0 is not the BootInfo" in stage.bootinfo_hint(in_root, 0x400000, 0x437000, "a")


# --- the rules `handoff` prints (bootcheck.check.rv_contract.judge_handoff) ---------------

def rv_inputs():
    kernel = os.path.join(BUILD, "targets", "standin", "riscv64", "kernel.elf")
    roottask = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
    if not (os.path.isfile(kernel) and os.path.isfile(roottask)):
        pytest.skip("riscv64 stand-in or root task not built (`make all`)")
    return contract.Inputs.load(kernel, roottask)


def good_handoff(inp, dtb_size=0x149e):
    h = expect.expected_handoff(inp.kernel_path, inp.roottask_path, dtb_size)
    return list(h.x), (0xd00dfeed).to_bytes(4, "big") + dtb_size.to_bytes(4, "big")


def test_handoff_rules_pass_the_computed_handoff():
    inp = rv_inputs()
    a, header = good_handoff(inp)
    got = rv_contract.judge_handoff(inp, a, header)
    assert [(f.rule, f.status) for f in got] == [("user_region", "pass"), ("pv_offset", "pass"),
                                                 ("user_entry", "pass"), ("dtb", "pass")]


def test_handoff_rules_name_each_broken_register():
    inp = rv_inputs()
    a, header = good_handoff(inp)
    hx = contract.hx

    def failed(regs, hdr=header):
        return [f.sentence for f in rv_contract.judge_handoff(inp, regs, hdr) if f.status == "fail"]

    assert failed([a[0], a[1], a[2], a[3] + 4, a[4], a[5]]) == \
        [f"a3 {hx(a[3] + 4)} is not the root task's entry {hx(a[3])}"]
    assert failed([a[0], a[1], a[2], a[3], a[0], a[5]], None) == \
        [f"a4 {hx(a[0])} does not point at a DTB in RAM (no d00dfeed magic)"]
    assert failed([a[0], a[1], a[2], a[3], a[0], a[5]]) == \
        [f"DTB [{hx(a[0])}..{hx(a[0] + a[5])}) overlaps the user image [{hx(a[0])}..{hx(a[1])})"]
    assert failed([a[0], a[1], a[2], a[3], a[4], a[5] - 1]) == \
        [f"a5 (DTB size) {hx(a[5] - 1)} is less than the DTB's totalsize {hx(a[5])}"]
    k = inp.kernel
    assert failed([a[0], a[1], a[2], a[3], k.pmin, a[5]]) == \
        [f"DTB [{hx(k.pmin)}..{hx(k.pmin + a[5])}) overlaps the kernel image [{hx(k.pmin)}..{hx(k.pmax)})"]
    assert failed([a[0], a[1], a[2], a[3], 0, 0]) == []
