"""Scenario files (scenarios/*.toml): reading, checking and turning one into
a gdb plan. Every problem is a ScenarioError naming the file and the field,
so a broken scenario fails its own test and nothing else."""

import os
import re
import sys
import tomllib
from dataclasses import dataclass, field

from ..kernel import arch as arch_facts
from ..kernel import bootlog, target
from ..kernel import facts as facts_mod
from . import qemu_machine

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "gdb"))
from bcgdb import expr, pagetable  # noqa: E402

ELF_ROLES = ("kernel", "roottask", "loader")
OPS = ("eq", "ne", "in")
TOP_KEYS = {"description", "arch", "kernels", "kernels_pending", "roottask", "dtb", "machine", "budget",
            "stops", "serial", "outcome", "roottask_specific"}
STOP_KEYS = {"name", "elf", "at", "returns", "let", "expect", "set", "each_cpu"}
RUNTIME_NAMES = {f"loader.x{i}" for i in range(6)}   # read from the serial log in gdb
# Names that belong to one architecture's registers: a scenario of the other
# is refused with the name to use instead (AArch64's `el` is riscv64's `priv`).
FOREIGN_NAMES = {"riscv64": {"el": "priv (S-mode = 1, U-mode = 0)", "SCTLR": "satp / sstatus",
                             "SP_EL0": "sp", "TPIDR_EL1": "a7 (the core id)", "cpsr": "priv / sstatus"},
                 "aarch64": {"priv": "el", "satp": "TTBR0_EL1 / TTBR1_EL1", "sstatus": "SPSR / SCTLR"}}
REGISTER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
TEMPLATE = re.compile(r"\{([A-Za-z0-9_.]+)(?::(x|d))?\}")


class ScenarioError(Exception):
    def __init__(self, path, where, message):
        super().__init__(f"{path}: {where}: {message}")


@dataclass
class Prepared:
    """One scenario for one kernel, ready to run."""
    name: str
    plan: dict
    machine: str
    cpu: str
    mem: int
    seconds: float
    end_on: list
    serial_expect: list          # ("line", text) | ("regex", pattern)
    serial_forbid: list
    unreached: str | None
    facts: dict = field(repr=False, default_factory=dict)
    arch: str = "aarch64"


def load(path):
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(path, "(TOML)", str(e)) from None
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ScenarioError(path, sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    kernels = data.get("kernels")
    if not isinstance(kernels, list) or not kernels or not all(isinstance(k, str) for k in kernels):
        raise ScenarioError(path, "kernels", "must be a non-empty list of kernel names or paths")
    stops = data.get("stops", [])
    if not isinstance(stops, list):
        raise ScenarioError(path, "stops", "must be an array of tables ([[stops]])")
    arches(path, data)
    pending = data.get("kernels_pending", {})
    if not isinstance(pending, dict) or not all(isinstance(v, str) and v for v in pending.values()):
        raise ScenarioError(path, "kernels_pending", "must map kernel paths to the reason they are not built yet")
    for k in pending:
        if k not in kernels:
            raise ScenarioError(path, f'kernels_pending."{k}"', "not one of the scenario's kernels")
    return data


def arches(path, data):
    """The architectures a scenario is written for: `arch = "riscv64"` or a
    list; AArch64 when it does not say (the scenarios written before RISC-V)."""
    value = data.get("arch", "aarch64")
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(n in arch_facts.ARCHES for n in names):
        raise ScenarioError(path, "arch", f"must be one of {', '.join(arch_facts.ARCHES)} or a list of them, "
                                          f"not {value!r}")
    return names


def _a(word):
    return "an" if word[0] in "aeiou" else "a"


def not_for(path, data, kernel):
    """Why this scenario does not apply to this kernel (its architecture,
    read from the ELF, is not one the scenario is written for), or None."""
    written_for = arches(path, data)
    have = target.read(kernel).arch
    if have in written_for:
        return None
    return (f"{kernel} is {_a(have)} {have} kernel; scenario {os.path.basename(path)} is written for "
            f"{' and '.join(written_for)} (arch = ...)")


def pending_reason(data, kernel_index):
    """The reason a kernel the scenario lists is not built yet
    (kernels_pending), or None."""
    return data.get("kernels_pending", {}).get(data["kernels"][kernel_index])


def kernel_id(name):
    """A kernel name's test-id suffix: the name, or for a path its file's
    stem, a stand-in build's as standin-<build> (standin-13.0.0, from
    build/targets/standin/riscv64/kernel-13.0.0.elf)."""
    if "/" not in name:
        return name
    stem = os.path.splitext(os.path.basename(name))[0]
    if "/targets/standin/" in "/" + name:
        return "standin-" + stem.removeprefix("kernel-")
    return stem


def kernel_ids(path):
    """Test-id suffixes for the kernels a scenario runs on."""
    return [kernel_id(k) for k in load(path)["kernels"]]


def _resolve_path(value, root, build):
    if value.startswith("build/"):
        return os.path.join(build, value[len("build/"):])
    return value if os.path.isabs(value) else os.path.join(root, value)


def resolve_inputs(path, data, kernel_index, kernel_paths, root, build, fixtures):
    """(kernel, roottask, dtb) paths; kernel_paths maps names like "sel4"
    to paths (None: not available, the caller skips)."""
    name = data["kernels"][kernel_index]
    where = f"kernels[{kernel_index}]"
    if name in kernel_paths:
        kernel = kernel_paths[name]
    elif "/" in name:
        kernel = _resolve_path(name, root, build)
    else:
        raise ScenarioError(path, where, f"unknown kernel {name!r} (use {', '.join(kernel_paths)} or a path)")
    if kernel is not None and not os.path.isfile(kernel):
        raise ScenarioError(path, where, f"kernel image {kernel} does not exist")
    rt = data.get("roottask", "roottask")
    if rt == "roottask":    # ours, built for the kernel's architecture
        riscv = kernel is not None and os.path.isfile(kernel) and target.read(kernel).arch == "riscv64"
        roottask = os.path.join(build, "roottask", *(["riscv64"] if riscv else []), "roottask.elf")
    else:
        roottask = _resolve_path(rt, root, build)
    if not os.path.isfile(roottask):
        raise ScenarioError(path, "roottask", f"root task image {roottask} does not exist")
    dtb = data.get("dtb", "virt-1g")
    if dtb == "":
        dtb = None
    else:
        dtb = fixtures.get(dtb) or _resolve_path(dtb, root, build)
        if not os.path.isfile(dtb):
            raise ScenarioError(path, "dtb", f"DTB {dtb} does not exist")
    return kernel, roottask, dtb


def _check_names(path, where, text, known, arch="aarch64"):
    try:
        used = expr.names_used(text)
    except expr.ExprError as e:
        raise ScenarioError(path, where, str(e)) from None
    runtime = facts_mod.RV_RUNTIME_NAMES if arch == "riscv64" else RUNTIME_NAMES
    for n in used:
        if n in FOREIGN_NAMES[arch] and n not in known:
            raise ScenarioError(path, where, f"{n!r} is not {_a(arch)} {arch} register: use {FOREIGN_NAMES[arch][n]}")
        if "." in n and n not in known and n not in runtime:
            raise ScenarioError(path, where, f"unknown name {n!r} in {text!r}")
        if "." not in n and n not in known and not REGISTER_NAME.match(n):
            raise ScenarioError(path, where, f"bad register or name {n!r}")


def _stop_address(path, i, stop, elfs):
    where = f"stops[{i}]"
    role = stop.get("elf", "kernel")
    if role not in ELF_ROLES:
        raise ScenarioError(path, f"{where}.elf", f"must be one of {', '.join(ELF_ROLES)}, not {role!r}")
    at = stop.get("at")
    elf = elfs[role]
    if isinstance(at, int) and not isinstance(at, bool):
        return at
    if at == "entry":
        return elf.entry
    if isinstance(at, str) and at in elf.symbols:
        return elf.symbols[at][0]
    raise ScenarioError(path, f"{where}.at", f"unknown stop symbol {at!r} in the {role} ELF")


def _conditions(path, where, table, known, arch="aarch64"):
    if not isinstance(table, dict):
        raise ScenarioError(path, where, "must be a table")
    out = []
    for lhs, rhs in table.items():
        w = f'{where}."{lhs}"'
        _check_names(path, w, lhs, known, arch)
        if isinstance(rhs, dict):
            if len(rhs) != 1 or next(iter(rhs)) not in OPS:
                raise ScenarioError(path, w, f"a condition table has one key of {', '.join(OPS)}")
            op, value = next(iter(rhs.items()))
        else:
            op, value = "eq", rhs
        values = value if op == "in" else [value]
        if op == "in" and (not isinstance(value, list) or len(value) != 2):
            raise ScenarioError(path, w, "in = [low, high] (high exclusive)")
        for v in values:
            _check_names(path, w, v, known, arch)
        out.append({"lhs": lhs, "op": op, "rhs": value})
    return out


def _template(path, where, text, known):
    def sub(m):
        if m.group(1) not in known:
            raise ScenarioError(path, where, f"unknown name {m.group(1)!r} in {text!r}")
        v = known[m.group(1)]
        return f"{v:x}" if m.group(2) == "x" else str(v)
    return TEMPLATE.sub(sub, text)


def _serial_items(path, where, items, known, allow_regex):
    if not isinstance(items, list):
        raise ScenarioError(path, where, "must be a list")
    out = []
    for j, item in enumerate(items):
        w = f"{where}[{j}]"
        if isinstance(item, str):
            out.append(("line", _template(path, w, item, known)))
        elif allow_regex and isinstance(item, dict) and set(item) == {"regex"}:
            try:
                re.compile(item["regex"])
            except re.error as e:
                raise ScenarioError(path, w, f"bad regex: {e}") from None
            out.append(("regex", item["regex"]))
        else:
            raise ScenarioError(path, w, "must be a string" + (" or { regex = ... }" if allow_regex else ""))
    return out


def _mentions_loader_printout(cond):
    texts = [cond["lhs"]] + (cond["rhs"] if isinstance(cond["rhs"], list) else [cond["rhs"]])
    return any(isinstance(t, str) and ("loader.x" in t or "loader.a" in t) for t in texts)


def _foreign_facts(known, observed, hyp):
    """For an image of another loader (make verify IMAGE=...): the hand-off
    it was observed to make in emulation, already judged by seL4's contract
    (bootcheck.check.contract), takes the place of our plan's; everything the
    kernel derives from it (BootInfo and IPC-buffer addresses) follows."""
    known.update({f"handoff.x{i}": v for i, v in enumerate(observed)})
    layout = facts_mod.user_layout("expected", observed, hyp)
    known.update(layout)
    known["bootinfo.va"] = layout["expected.bootinfo"]
    known["ipc_buffer.va"] = layout["expected.ipc_buffer"]
    known["dtb.size"] = observed[5] & 0xffffffff


def prepare(path, data, kernel_index, kernel, roottask, dtb, loader_image, observed=None,
            own_roottask=True):
    """Checks everything against the actual ELF files and builds the plan.
    observed: x0..x5 of a foreign loader's image (see _foreign_facts); its
    conditions on our loader's printed hand-off (loader.x*) do not apply, and
    with another root task (own_roottask False) neither do serial lines of
    ours ("roottask: ...", "system_init: ...")."""
    from ..kernel import expect
    reason = not_for(path, data, kernel)
    if reason is not None:
        raise ScenarioError(path, "arch", reason)
    arch = target.read(kernel).arch
    machine = data.get("machine", {})
    if arch == "aarch64":
        defaults = {"machine": qemu_machine.VIRT, "cpu": "cortex-a53", "mem": 1024}
    else:   # that architecture's machine, from its facts file (bootcheck.kernel.arch)
        f = arch_facts.facts(arch)
        defaults = {"machine": f.machine, "cpu": f.cpu, "mem": f.mem}
    machine = {**defaults, **machine}
    mem = machine["mem"]
    known = facts_mod.compute(kernel, roottask, loader_image, dtb, mem)
    if observed is not None:
        _foreign_facts(known, observed, bool(known["kernel.hyp"]))
    known["pagetable.TCR_EL2_SEL4_HYP"] = pagetable.TCR_EL2_SEL4_HYP
    known["pagetable.MAIR_VALUE"] = pagetable.MAIR_VALUE
    elfs = {"kernel": expect.elf_facts(kernel), "roottask": expect.elf_facts(roottask),
            "loader": expect.elf_facts(loader_image)}
    effective = [known.get(f"handoff.x{i}", 0) for i in range(6)]
    plan_stops = []
    for i, stop in enumerate(data.get("stops", [])):
        where = f"stops[{i}]"
        if not isinstance(stop, dict):
            raise ScenarioError(path, where, "must be a table")
        extra = set(stop) - STOP_KEYS
        if extra:
            raise ScenarioError(path, f"{where}.{sorted(extra)[0]}", "unknown key")
        if not isinstance(stop.get("name"), str):
            raise ScenarioError(path, f"{where}.name", "missing (a string)")
        address = _stop_address(path, i, stop, elfs)
        local = dict(known)
        lets = []
        for name, text in stop.get("let", {}).items():
            _check_names(path, f"{where}.let.{name}", text, local, arch)
            local[name] = 0       # known from here on; its value exists only in gdb
            lets.append([name, text])
        conds = _conditions(path, f"{where}.expect", stop.get("expect", {}), local, arch)
        if observed is not None:
            conds = [c for c in conds if not _mentions_loader_printout(c)]
        sets = []
        for reg, text in stop.get("set", {}).items():
            w = f"{where}.set.{reg}"
            if not REGISTER_NAME.match(reg):
                raise ScenarioError(path, w, "not a register name")
            _check_names(path, w, text, local, arch)
            sets.append([reg, text])
            m = re.fullmatch(r"x([0-5])", reg)
            if m:
                try:
                    effective[int(m.group(1))] = expr.Evaluator(known).eval(text)
                except expr.ExprError:
                    pass     # depends on run-time values: no effective.* facts for it
        plan_stops.append({"name": stop["name"], "address": address, "let": lets, "expect": conds,
                           "set": sets, "returns": bool(stop.get("returns", False)),
                           # every CPU passes this stop (an SMP kernel): record each one's
                           # lets, and the judge compares them with the boot core's
                           "each_cpu": known["kernel.nodes"] if stop.get("each_cpu") else 1})
    if arch == "aarch64":
        known.update(facts_mod.user_layout("effective", effective, bool(known["kernel.hyp"])))
        known.update({f"effective.x{i}": v for i, v in enumerate(effective)})
    serial = data.get("serial", {})
    budget = data.get("budget", {})
    for key in set(budget) - {"seconds"}:
        # Guest instruction budgets need an instruction counter QEMU 7.2's
        # gdbstub does not offer; refuse rather than silently ignore one.
        raise ScenarioError(path, f"budget.{key}", "unsupported (only budget.seconds is enforced)")
    seconds = budget.get("seconds", 20)
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ScenarioError(path, "budget.seconds", "must be a positive number")
    outcome = data.get("outcome", {})
    unreached = outcome.get("unreached")
    if unreached is not None and unreached not in [s["name"] for s in plan_stops]:
        raise ScenarioError(path, "outcome.unreached", f"no stop is named {unreached!r}")
    name = os.path.splitext(os.path.basename(path))[0]
    serial_expect = _serial_items(path, "serial.expect", serial.get("expect", []), known, True)
    serial_forbid = _serial_items(path, "serial.forbid", serial.get("forbid", []), known, False)
    # seL4's boot-log lines are written in 13.0's words; the kernel's release
    # (read from its ELF) says which words it prints (bootcheck.kernel.bootlog).
    release = target.read(kernel).release
    serial_expect = [(kind, bootlog.render(text, release) if kind == "line" else text)
                     for kind, text in serial_expect]
    if not own_roottask:
        ours = ("roottask:", "system_init:")
        serial_expect = [i for i in serial_expect if not i[1].startswith(ours)]
        serial_forbid = [i for i in serial_forbid if not i[1].startswith(ours)]
    plan = {
        "name": name, "stops": plan_stops, "facts": known,
        "symbol_files": {"loader": loader_image, "kernel": kernel, "roottask": roottask},
        "kernel_window": [known["kernel.window"], known["kernel.paddr_top"]],
        "arch": arch, "gdb_arch": arch_facts.facts(arch).gdb_arch,
    }
    return Prepared(
        name=name, plan=plan, machine=machine["machine"],
        cpu=machine["cpu"], mem=mem, seconds=seconds, arch=arch,
        end_on=serial.get("end_on", []),
        serial_expect=serial_expect, serial_forbid=serial_forbid,
        unreached=unreached, facts=known)
