"""Scenario files (scenarios/*.toml): reading, checking and turning one into
a gdb plan. Every problem is a ScenarioError naming the file and the field,
so a broken scenario fails its own test and nothing else."""

import os
import re
import sys
import tomllib
from dataclasses import dataclass, field

from . import bootlog, qemu_machine, target
from . import facts as facts_mod

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gdb"))
from bcgdb import expr, pagetable  # noqa: E402

ELF_ROLES = ("kernel", "roottask", "loader")
OPS = ("eq", "ne", "in")
TOP_KEYS = {"description", "kernels", "roottask", "dtb", "machine", "budget", "stops", "serial",
            "outcome", "roottask_specific"}
STOP_KEYS = {"name", "elf", "at", "returns", "let", "expect", "set", "each_cpu"}
RUNTIME_NAMES = {f"loader.x{i}" for i in range(6)}   # read from the serial log in gdb
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
    return data


def kernel_ids(path):
    """Test-id suffixes for the kernels a scenario runs on."""
    return [os.path.splitext(os.path.basename(k))[0] if "/" in k else k
            for k in load(path)["kernels"]]


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
    roottask = os.path.join(build, "roottask", "roottask.elf") if rt == "roottask" else _resolve_path(rt, root, build)
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


def _check_names(path, where, text, known):
    try:
        used = expr.names_used(text)
    except expr.ExprError as e:
        raise ScenarioError(path, where, str(e)) from None
    for n in used:
        if "." in n and n not in known and n not in RUNTIME_NAMES:
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


def _conditions(path, where, table, known):
    if not isinstance(table, dict):
        raise ScenarioError(path, where, "must be a table")
    out = []
    for lhs, rhs in table.items():
        w = f'{where}."{lhs}"'
        _check_names(path, w, lhs, known)
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
            _check_names(path, w, v, known)
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
    return any(isinstance(t, str) and "loader.x" in t for t in texts)


def _foreign_facts(known, observed, hyp):
    """For an image of another loader (make verify IMAGE=...): the hand-off
    it was observed to make in emulation, already judged by seL4's contract
    (bootcheck.contract), takes the place of our plan's; everything the
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
    from . import expect
    machine = data.get("machine", {})
    mem = machine.get("mem", 1024)
    known = facts_mod.compute(kernel, roottask, loader_image, dtb, mem)
    if observed is not None:
        _foreign_facts(known, observed, bool(known["kernel.hyp"]))
    known["pagetable.TCR_EL2_SEL4_HYP"] = pagetable.TCR_EL2_SEL4_HYP
    known["pagetable.MAIR_VALUE"] = pagetable.MAIR_VALUE
    elfs = {"kernel": expect.elf_facts(kernel), "roottask": expect.elf_facts(roottask),
            "loader": expect.elf_facts(loader_image)}
    effective = [known[f"handoff.x{i}"] for i in range(6)]
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
            _check_names(path, f"{where}.let.{name}", text, local)
            local[name] = 0       # known from here on; its value exists only in gdb
            lets.append([name, text])
        conds = _conditions(path, f"{where}.expect", stop.get("expect", {}), local)
        if observed is not None:
            conds = [c for c in conds if not _mentions_loader_printout(c)]
        sets = []
        for reg, text in stop.get("set", {}).items():
            w = f"{where}.set.{reg}"
            if not REGISTER_NAME.match(reg):
                raise ScenarioError(path, w, "not a register name")
            _check_names(path, w, text, local)
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
    # (read from its ELF) says which words it prints (bootcheck.bootlog).
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
        "kernel_window": [known["kernel.window"], facts_mod.PADDR_TOP],
    }
    return Prepared(
        name=name, plan=plan, machine=machine.get("machine", qemu_machine.VIRT),
        cpu=machine.get("cpu", "cortex-a53"), mem=mem, seconds=seconds,
        end_on=serial.get("end_on", []),
        serial_expect=serial_expect, serial_forbid=serial_forbid,
        unreached=unreached, facts=known)
