"""The boot chain of one `bootcheck check`, as data for the diagram: the
stages in order (firmware when there is one, loader, kernel entry,
init_kernel, restore_user_context, root task, system_init, components), each
with the contract's links it holds and a status (pass / fail / not reached),
the first broken link, the serial line that shows it, and one lane per core
for SMP. It travels in verdict.json as "boot_chain"."""

import re

from ..check import contract

# Stage -> the contract's rules (links) it holds, in chain order.
STAGES = (
    # Everything the loader prepares for the kernel, judged at the kernel's entry.
    ("loader", "loader", ("kernel_reached", "entry_state", "kernel_window", "kernel_loaded", "rootserver",
                          "user_region", "pv_offset", "user_entry", "user_loaded", "dtb", "free_memory")),
    ("kernel_entry", "kernel entry", ("cores",)),
    ("init_kernel", "init_kernel", ("kernel_init",)),
    ("restore_user_context", "restore_user_context", ("user_context",)),
    ("roottask", "root task", ("roottask_entry", "roottask_runs")),
    ("system_init", "system_init", ()),
    ("components", "components", ()),
)
# Short labels for the links, as the diagram prints them.
LINK_LABELS = {"kernel_reached": "reached", "entry_state": "EL/MMU", "kernel_window": "window",
               "kernel_loaded": "kernel", "rootserver": "rootserver", "user_region": "x0/x1",
               "pv_offset": "x2", "user_entry": "x3", "user_loaded": "root task", "dtb": "DTB",
               "free_memory": "free mem", "cores": "cores", "kernel_init": "init", "user_context": "context",
               "roottask_entry": "EL0", "roottask_runs": "runs"}
STATUS = {"pass": "pass", "warn": "pass", "fail": "fail", "not_observed": "not_reached"}

# The serial line that shows each stage, searched from the first line on.
STAGE_LINES = {
    "loader": (r"loader|elfloader|ELF-loader|jumping to kernel",),
    "kernel_entry": (r"Bootstrapping kernel",),
    "init_kernel": (r"ERROR:|seL4 called fail|Booting all finished|halting",),
    "restore_user_context": (r"Booting all finished",),
    "roottask": (r"(Caught|fault)", r"roottask: start|^\S+: start"),
    "system_init": (r"system_init: (started|.*FAIL)",),
    "components": (r"roottask: chain: system_init ->|components",),
}
CONTEXT = 3


def _serial_line(lines, stage, failed):
    pats = STAGE_LINES.get(stage, ())
    if failed:
        for i, l in enumerate(lines):
            if re.search(r"ERROR|error:|FAIL|fault|Caught|called fail|assert", l):
                if stage != "loader" or re.search(r"loader", l, re.I):
                    return i
    for pat in pats:
        hits = [i for i, l in enumerate(lines) if re.search(pat, l)]
        if hits:
            return hits[-1] if stage == "loader" else hits[0]
    return None


def _chain_outcomes(serial):
    """system_init and components from bootcheck's own root task's words:
    `roottask: chain: A -> B ok, C failed` lines."""
    si, comps = None, []
    for line in serial.splitlines():
        m = re.search(r"roottask: chain: (\S+) -> (.*)$", line.strip())
        if not m:
            continue
        for item in m.group(2).split(","):
            parts = item.strip().rsplit(" ", 1)
            if len(parts) != 2:
                continue
            name, outcome = parts
            if m.group(1) == "roottask" and name == "system_init":
                si = outcome
            else:
                comps.append((name, outcome))
    return si, comps


def build(findings, serial="", cores=None, firmware=None, labels=None):
    """findings: the verdict's findings (every rule, in order). cores: the
    emulator's CPU_ON cores (SMP) and the core count the kernel needs.
    firmware: (name, status) when a firmware ran before the loader.
    labels: link labels in another architecture's words (RISC-V: a0/a1)."""
    label = {**LINK_LABELS, **(labels or {})}
    by_rule = {f.rule: f for f in findings}
    lines = serial.splitlines()
    stages = []
    if firmware:
        stages.append({"id": "firmware", "title": firmware[0], "status": firmware[1], "links": []})
    for sid, title, rules in STAGES:
        links = []
        for r in rules:
            f = by_rule.get(r)
            if f is None:
                continue
            links.append({"rule": r, "link": contract.CHAIN_ORDER[r] + 1, "label": label[r],
                          "status": STATUS[f.status], "warn": f.status == "warn", "sentence": f.sentence})
        stages.append({"id": sid, "title": title, "links": links})
    si, comps = _chain_outcomes(serial)
    for st in stages:
        if st["id"] == "system_init" and si is not None:
            st["status"] = "pass" if si == "ok" else "fail"
            st["note"] = f"system_init {si}"
        elif st["id"] == "components" and comps:
            bad = [n for n, o in comps if o != "ok"]
            st["status"] = "fail" if bad else "pass"
            st["note"] = ", ".join(f"{n} {o}" for n, o in comps)
        elif "status" not in st:
            ss = [l["status"] for l in st["links"]]
            st["status"] = ("fail" if "fail" in ss else "not_reached" if not ss or "pass" not in ss
                            else "pass")
    # A stage after a failed one that has no links of its own is not reached.
    broken = False
    for st in stages:
        if broken and not st["links"] and st["status"] != "fail":
            st["status"] = "not_reached"
        broken = broken or st["status"] == "fail"
    first = contract.diagnosis(findings)
    first_stage = None
    if first is not None:
        first_stage = next(s["id"] for s in stages if any(l["rule"] == first.rule for l in s["links"]))
    else:
        first_stage = next((s["id"] for s in stages if s["status"] == "fail"), None)
    for st in stages:
        at = _serial_line(lines, st["id"], st["status"] == "fail")
        st["serial_line"] = at
    return {"stages": stages, "first_broken": first.rule if first else None,
            "first_broken_stage": first_stage,
            "lanes": _lanes(cores, by_rule), "serial_context": CONTEXT}


def _lanes(cores, by_rule):
    """SMP: one lane per core: the boot core runs the whole chain; each other
    core is started by the loader (CPU_ON) and enters the kernel, or not."""
    if not cores or cores.get("nodes", 1) <= 1:
        return []
    n = cores["nodes"]
    started = cores.get("started", [])
    verdict = by_rule.get("cores")
    lanes = [{"core": 0, "stages": [["loader", "pass"], ["kernel_entry", STATUS[verdict.status] if verdict
                                                          else "not_reached"]]}]
    for i in range(1, n):
        c = started[i - 1] if i - 1 < len(started) else None
        if c is None:
            lanes.append({"core": i, "stages": [["CPU_ON", "fail"], ["kernel_entry", "not_reached"]],
                          "note": "never started with PSCI CPU_ON"})
            continue
        entered = c.get("state") == "entered"
        lanes.append({"core": i, "stages": [["CPU_ON", "pass"], ["kernel_entry", "pass" if entered else "fail"]],
                      "note": f"CPU_ON target 0x{c.get('target', 0):x}: {c.get('state')}"
                              + ("" if entered else f" at PC 0x{c.get('last_pc', 0):x} ({c.get('last_pc_symbol', '?')})")})
    return lanes


def from_rows(stage_rows):
    """A chain from plain (stage id, title, [(rule, status, sentence)]
    [, status when it has no rows]) rows, for contracts other than seL4's (Linux): links numbered in order."""
    stages, n, first, first_stage = [], 0, None, None
    for sid, title, rows, *reached in stage_rows:
        links = []
        for rule, status, sentence in rows:
            n += 1
            st = STATUS.get(status, "not_reached")
            links.append({"rule": rule, "link": n, "label": rule.replace("_", " ")[:11], "status": st,
                          "warn": status == "warn", "sentence": sentence})
            if st == "fail" and first is None:
                first, first_stage = rule, sid
        ss = [l["status"] for l in links]
        status = "fail" if "fail" in ss else "pass" if ss else (reached[0] if reached else "not_reached")
        stages.append({"id": sid, "title": title, "links": links, "status": status, "serial_line": None})
    return {"stages": stages, "first_broken": first, "first_broken_stage": first_stage, "lanes": [],
            "serial_context": CONTEXT}
