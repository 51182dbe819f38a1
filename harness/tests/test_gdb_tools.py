"""Host-side tests of the code that runs inside gdb (expressions, page-table
walker, ESR decoding) and of scenario checking: malformed scenarios fail
with the file and field named, and a wrong expectation really fails."""

import os
import re
import sys

import pytest

from bootcheck.boot import scenario

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "harness", "gdb"))
from bcgdb import esr, expr, pagetable, stage  # noqa: E402

HEADER = os.path.join(ROOT, "loader", "common", "pagetable.h")


def header_constants():
    """#define NAME value from pagetable.h, evaluated with the C macros that
    the header itself uses (UINT64_C, shifts, ors, MAIR_FIELD, ...)."""
    text = open(HEADER).read()
    text = re.sub(r"\\\n", " ", text)
    defs = {}
    for m in re.finditer(r"^#define\s+([A-Za-z0-9_]+)\s+(.+)$", text, re.M):
        name, body = m.group(1), re.sub(r"/\*.*?\*/", "", m.group(2)).strip()
        if "(" in name or not body:
            continue
        defs[name] = body
    env = {"UINT64_C": lambda v: v, "MAIR_FIELD": lambda idx, attr: attr << (8 * idx),
           "PT_LEVEL_SHIFT": lambda lvl: 12 + 9 * (3 - lvl), "PTE_ATTRINDX": lambda i: i << 2,
           "TCR_T0SZ": lambda n: n, "TCR_T1SZ": lambda n: n << 16}
    values = {}
    for _ in range(5):   # definitions refer to each other; a few passes resolve them
        for name, body in defs.items():
            if name in values:
                continue
            py = re.sub(r"\(uint64_t\)|\(unsigned\)", "", body).replace("1u", "1")
            try:
                values[name] = eval(py, {"__builtins__": {}}, {**env, **values})
            except (NameError, SyntaxError, TypeError):
                pass
    return values


MIRRORED = [n for n in dir(pagetable) if re.fullmatch(r"(PT|PTE|MAIR|TCR|SCTLR)_[A-Za-z0-9_]+", n)
            and isinstance(getattr(pagetable, n), int)]


@pytest.mark.unit
@pytest.mark.parametrize("name", MIRRORED)
def test_pagetable_constant_matches_header(name):
    values = header_constants()
    assert name in values, f"{name} is in bcgdb/pagetable.py but not in {HEADER}"
    assert getattr(pagetable, name) == values[name], f"{name} drifted from pagetable.h"


@pytest.mark.unit
def test_header_mirror_covers_the_walker_constants():
    needed = {"PTE_VALID", "PTE_ATTRINDX_MASK", "PTE_AP_MASK", "PTE_SH_MASK", "PTE_AF", "PTE_NG",
              "PTE_PXN", "PTE_UXN", "PTE_ADDR_MASK", "TCR_EL2_SEL4_HYP", "MAIR_VALUE"}
    assert needed <= set(MIRRORED) and needed <= set(header_constants())


def build_tables(maps):
    """A fake physical memory with 4K tables; maps: [(va, pa, level, attrs)]."""
    mem = {}
    root = 0x1000
    next_table = [0x2000]

    def table_for(table, index):
        key = table + 8 * index
        if key not in mem:
            mem[key] = next_table[0] | pagetable.PTE_TYPE_TABLE
            next_table[0] += 0x1000
        return mem[key] & pagetable.PTE_ADDR_MASK

    for va, pa, level, attrs in maps:
        table = root
        for lvl in range(level):
            table = table_for(table, (va >> pagetable.level_shift(lvl)) & 511)
        kind = 3 if level == 3 else 1
        mem[table + 8 * ((va >> pagetable.level_shift(level)) & 511)] = pa | attrs | kind
    return root, lambda a: mem.get(a, 0)


@pytest.mark.unit
def test_walk_finds_pages_and_blocks_with_attributes():
    normal = pagetable.PTE_AF | (3 << pagetable.PTE_SH_SHIFT) | (4 << pagetable.PTE_ATTRINDX_SHIFT)
    root, read = build_tables([(0xffffff8040000000, 0x40000000, 2, normal),
                               (0x400000, 0x4000e000, 3, normal | pagetable.PTE_NG | (1 << 6))])
    w = pagetable.walk(read, 0xffffff8040012345, root, 16, "TTBR1_EL1")
    assert (w.pa, w.size, len(w.steps)) == (0x40012345, 2 << 20, 3)
    w = pagetable.walk(read, 0x400abc, root, 16, "TTBR0_EL1")
    assert (w.pa, w.size, len(w.steps)) == (0x4000eabc, 4096, 4)
    attrs = w.attributes(pagetable.MAIR_VALUE)
    assert attrs["AttrIndx"].startswith("4 (MAIR 0xff Normal write-back")
    assert attrs["AP"] == "EL1 RW, EL0 RW" and attrs["nG"] == 1 and attrs["SH"] == "inner shareable"
    w = pagetable.walk(read, 0x800000, root, 16, "TTBR0_EL1")
    assert w.pa is None and w.fault.startswith("translation fault at level 2")


@pytest.mark.unit
def test_select_regime():
    assert pagetable.select_regime(0xffffff8040000000, 0x10 | 0x10 << 16, 1) == ("TTBR1_EL1", 16)
    assert pagetable.select_regime(0x400000, 0x19 | 0x10 << 16, 1) == ("TTBR0_EL1", 25)
    assert pagetable.select_regime(0x8060000000, 0x10, 2) == ("TTBR0_EL2", 16)


@pytest.mark.unit
def test_expressions():
    regs = {"x0": 0x4023f000, "cpsr": 0x3c5, "SCTLR": 0xc5183d}
    mem = {0x1000: 0xffffff807ffe9400}
    ev = expr.Evaluator({"handoff.x0": 0x4023f000, "tcb": 0x1000},
                        read_register=lambda n: regs[n] if n in regs else
                        (_ for _ in ()).throw(expr.ExprError(n)),
                        read_memory=lambda a, s: mem[a])
    assert ev.eval("x0 - handoff.x0") == 0
    assert ev.eval("el") == 1
    assert ev.eval("bits(SCTLR, 0, 0)") == 1 and ev.eval("bits(SCTLR, 2, 1)") == 2
    assert ev.eval("mem64(tcb)") == 0xffffff807ffe9400
    assert ev.eval("handoff.x0 - 0x7ffffffe0000") == (0x4023f000 - 0x7ffffffe0000) % (1 << 64)
    with pytest.raises(expr.ExprError, match="unknown name 'handoff.x9'"):
        ev.eval("handoff.x9")
    with pytest.raises(expr.ExprError, match="unsupported construct"):
        expr.parse("__import__('os')")
    assert expr.names_used("mem64(kernel.sym.ksCurThread) + x1") == ["kernel.sym.ksCurThread", "x1"]


@pytest.mark.unit
def test_esr_decoding():
    assert esr.describe(0x82000004) == "EC 0x20 instruction abort from a lower EL: translation fault, level 0"
    assert esr.describe(0x96000045) == "EC 0x25 data abort from the same EL: translation fault, level 1 (write)"
    assert esr.describe(0x56000000) == "EC 0x15 SVC from AArch64 #0x0"


# --- malformed scenarios: the message names the file and the field -------------

GOOD_STOP = '[[stops]]\nname = "s"\nelf = "kernel"\nat = "_start"\n'


def prepare_text(tmp_path, artifacts, text, kernel_paths=None):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    data = scenario.load(str(path))
    paths = kernel_paths or {"standin": artifacts.probe_el1}
    kernel, roottask, dtb = scenario.resolve_inputs(str(path), data, 0, paths, ROOT,
                                                    os.path.dirname(artifacts.fixtures),
                                                    {"virt-1g": artifacts.virt_dtb})
    # The loader image only adds loader.* symbols; any ELF stands in for it here.
    return scenario.prepare(str(path), data, 0, kernel, roottask, dtb, artifacts.probe_el1)


@pytest.mark.unit
@pytest.mark.parametrize("text,field", [
    ('kernels = ["standin"\n', "(TOML)"),
    ('kernels = ["standin"]\nbogus = 1\n', "bogus"),
    ('kernels = []\n', "kernels"),
    ('kernels = ["standin"]\n' + GOOD_STOP.replace("_start", "no_such_symbol"), "stops[0].at"),
    ('kernels = ["standin"]\n' + GOOD_STOP.replace('"kernel"', '"firmware"'), "stops[0].elf"),
    ('kernels = ["standin"]\n' + GOOD_STOP + '[stops.expect]\nx0 = "handoff.x7"\n', 'stops[0].expect."x0"'),
    ('kernels = ["standin"]\n' + GOOD_STOP + '[stops.expect]\n"mem64(" = 1\n', 'stops[0].expect."mem64("'),
    ('kernels = ["build/no/such/kernel.elf"]\n', "kernels[0]"),
    ('kernels = ["standin"]\nroottask = "build/missing.elf"\n', "roottask"),
    ('kernels = ["standin"]\ndtb = "nowhere.dtb"\n', "dtb"),
    ('kernels = ["standin"]\n[serial]\nexpect = ["{no.such.fact:x}"]\n', "serial.expect[0]"),
    ('kernels = ["standin"]\n' + GOOD_STOP + '[outcome]\nunreached = "other"\n', "outcome.unreached"),
    ('kernels = ["standin"]\n[budget]\ninstructions = 1000\n', "budget.instructions"),
    ('arch = "mips"\nkernels = ["standin"]\n', "arch"),
    ('kernels = ["standin"]\n[kernels_pending]\n"build/other.elf" = "later"\n', 'kernels_pending."build/other.elf"'),
    ('arch = "riscv64"\nkernels = ["standin"]\n', "arch"),         # an AArch64 kernel
    ('kernels = ["standin"]\n' + GOOD_STOP + '[stops.expect]\npriv = 1\n', 'stops[0].expect."priv"'),
])
def test_malformed_scenario_names_file_and_field(text, field, tmp_path, artifacts):
    with pytest.raises(scenario.ScenarioError) as e:
        prepare_text(tmp_path, artifacts, text)
    assert str(e.value).startswith(f"{tmp_path / 'bad.toml'}: {field}: "), str(e.value)


@pytest.mark.unit
def test_foreign_register_names_the_one_to_use(tmp_path, artifacts):
    """An AArch64 scenario naming RISC-V's priv is told to use el (the
    riscv64 direction is test_scenarios.py's, on a riscv64 kernel)."""
    with pytest.raises(scenario.ScenarioError) as e:
        prepare_text(tmp_path, artifacts, 'kernels = ["standin"]\n' + GOOD_STOP + '[stops.expect]\npriv = 1\n')
    assert str(e.value) == f"{tmp_path / 'bad.toml'}: stops[0].expect.\"priv\": 'priv' is not an aarch64 register: use el"


@pytest.mark.unit
def test_wellformed_scenario_resolves_stop_and_effective_facts(tmp_path, artifacts):
    from bootcheck.kernel import expect
    p = prepare_text(tmp_path, artifacts, 'kernels = ["standin"]\n' + GOOD_STOP +
                     '[stops.set]\nx2 = "handoff.x0 - 0x7ffffffe0000"\n')
    probe = expect.elf_facts(artifacts.probe_el1)
    assert p.plan["stops"][0]["address"] == probe.symbols["_start"][0]
    assert p.facts["effective.ui_v_start"] == 0x7ffffffe0000
    span = p.facts["handoff.x1"] - p.facts["handoff.x0"]
    assert p.facts["effective.bootinfo"] == 0x7ffffffe0000 + span + 0x1000


def test_monitor_socket_path_fits_whatever_tmpdir(monkeypatch, tmp_path):
    """QEMU cannot bind a UNIX socket path over 107 bytes; a long $TMPDIR used
    to make every scenario end at once with "Target disconnected"."""
    import tempfile

    from bootcheck.boot import gdbrun

    long_dir = tmp_path / ("x" * 100)
    long_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long_dir))
    rundir = tempfile.mkdtemp(prefix="bcg", dir=gdbrun._socket_safe_tmpdir())
    try:
        assert len(os.path.join(rundir, "mon.sock")) <= gdbrun.UNIX_SOCKET_PATH_MAX
    finally:
        os.rmdir(rundir)
    # A short $TMPDIR is still used as it is.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert gdbrun._socket_safe_tmpdir() == str(tmp_path)


@pytest.mark.unit
def test_stage_names_the_image_that_holds_the_pc():
    """Kernel code before and after the kernel booted, the loader, the root
    task and a component, user code in no image, and privileged code in none."""
    images = [stage.Image("the kernel's", "kernel boot", False, [(0xffffff8040000000, 0xffffff8040018000),
                                                                  (0x40000000, 0x40018000)]),
              stage.Image("the loader's", "loader", False, [(0x48000000, 0x48080000)]),
              stage.Image("the root task's", "root task", True, [(0x400000, 0x432000)]),
              stage.Image("component system_init's", "component system_init", True, [(0x10000000, 0x1000b000)])]
    c = stage.classify
    assert c(0x48000000, False, "EL2h", images, False, "_start").line() == \
        "boot stage: loader; EL2h; pc 0x48000000 in the loader's _start"
    assert c(0x40000010, False, "EL1h", images, False, "").line() == \
        "boot stage: kernel boot; EL1h; pc 0x40000010 in the kernel's code"
    assert c(0xffffff8040000100, False, "EL1h", images, True, "handleSyscall").stage == \
        "kernel (boot finished; serving user threads)"
    assert c(0x400010, True, "EL0t", images, True, "main+0x10").line() == \
        "boot stage: root task; EL0t; pc 0x400010 in the root task's main+0x10"
    assert c(0x10000000, True, "EL0t", images, True, "_start").stage == "component system_init"
    # an EL0 pc inside the loader's range is not the loader's code
    assert c(0x48000000, True, "EL0t", images, True).line() == \
        "boot stage: user thread outside the root task and its components; EL0t; pc 0x48000000, in no image " \
        "bootcheck knows"
    assert c(0x1000, False, "EL1h", images, False).stage.startswith("unknown")


@pytest.mark.unit
def test_stage_hints_only_away_from_their_stop():
    loader = stage.Where("loader", "EL1h", 0x48000000, "_start", "the loader's")
    at_kernel = stage.Where("kernel boot", "EL1h", 0xffffff8040000000, "_start", "the kernel's")
    at_root = stage.Where("root task", "EL0t", 0x400000, "_start", "the root task's")
    in_root = stage.Where("root task", "EL0t", 0x400100, "main", "the root task's")
    assert stage.handoff_hint(at_kernel, 0xffffff8040000000) is None
    assert stage.handoff_hint(loader, 0xffffff8040000000) == \
        "not at the kernel's entry yet (pc 0x48000000 in the loader's _start); use bc-continue kernel"
    assert stage.bootinfo_hint(at_root, 0x400000, 0x433000) is None
    assert stage.bootinfo_hint(in_root, 0x400000, 0x433000) == \
        "not at the root task's entry (root task: pc 0x400100 in the root task's main), so x0 is not the " \
        "BootInfo any more; give its address: bootinfo 0x433000"
    assert stage.bootinfo_hint(in_root, 0x400000, None).endswith("give its address: bootinfo VA")
