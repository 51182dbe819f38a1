"""Human-readable verdicts of a gdb scenario run: which stop failed or was
never reached, the last stop reached, where the guest was when the run
ended (AArch64: PC, EL, ESR/ELR/FAR; riscv64: PC, priv, scause in words,
stval, sepc) and the last serial lines."""

SERIAL_TAIL = 12
# The privilege levels QEMU's `priv` register names, and the RISC-V
# privileged spec's scause exception codes (the words loader/common/scause.c
# prints for the loader's own traps).
PRIV_NAMES = {0: "U-mode", 1: "S-mode", 3: "M-mode"}
SCAUSE_NAMES = {0: "instruction address misaligned", 1: "instruction access fault", 2: "illegal instruction",
                3: "breakpoint", 4: "load address misaligned", 5: "load access fault",
                6: "store/AMO address misaligned", 7: "store/AMO access fault",
                8: "environment call from U-mode", 9: "environment call from S-mode",
                12: "instruction page fault", 13: "load page fault", 15: "store/AMO page fault"}
SCAUSE_INTERRUPTS = {1: "supervisor software interrupt", 5: "supervisor timer interrupt",
                     9: "supervisor external interrupt"}
# The `let` names an each_cpu stop may give a CPU's own logical id (0..n-1,
# each once) and, on riscv64, its hart id (distinct, any numbers).
LOGICAL_ID = {"tpidr_el1": "TPIDR_EL1", "core": "a7 (core id)"}
HART_ID = "hart"


def _scause_words(v):
    if v >> 63:
        return SCAUSE_INTERRUPTS.get(v & ~(1 << 63), "reserved interrupt")
    return SCAUSE_NAMES.get(v, "reserved cause")


def _level(record):
    """' EL=1' or ' priv=1 (S-mode)' for a stop record or end state."""
    if "priv" in record:
        return f' priv={record["priv"]} ({PRIV_NAMES.get(record["priv"], "reserved")})'
    return f' EL={record["el"]}' if "el" in record else ""


def _hex(v):
    return f"0x{v:x}" if isinstance(v, int) else str(v)


def failed_checks(result):
    out = []
    for stop in result.get("stops", []):
        for c in stop.get("checks", []):
            if not c.get("ok"):
                rhs = c.get("expected", c["rhs"])
                rhs = f"[{_hex(rhs[0])}, {_hex(rhs[1])})" if isinstance(rhs, list) else _hex(rhs)
                why = c.get("error") or f"got {_hex(c.get('actual'))}, expected {c['op']} {rhs} ({c['rhs']})"
                out.append(f'stop "{stop["name"]}": {c["lhs"]}: {why}')
    return out


def cpu_problems(result, nodes):
    """For each_cpu stops: every CPU (gdb thread) passed, with the boot
    core's values of every `let` except its own logical id (tpidr_el1), at
    the boot core's EL, and TPIDR_EL1 = 0..nodes-1, each once."""
    out = []
    for stop in result.get("stops", []):
        cpus = stop.get("cpus")
        if cpus is None:
            continue
        name = stop["name"]
        if len(cpus) < nodes:
            out.append(f'stop "{name}": {len(cpus)} of {nodes} CPUs passed it (gdb threads '
                       f'{", ".join(sorted(cpus))})')
        boot = cpus.get(str(stop.get("boot_thread", 1)), {})
        own = set(LOGICAL_ID) | {HART_ID}
        for thread, values in sorted(cpus.items(), key=lambda kv: int(kv[0])):
            for key, value in values.items():
                if key not in own and key in boot and value != boot[key]:
                    out.append(f'stop "{name}": CPU {int(thread) - 1} (gdb thread {thread}) has '
                               f'{key} = {_hex(value)}, the boot core {_hex(boot[key])}')
        for key, words in LOGICAL_ID.items():
            ids = sorted(v.get(key, -1) for v in cpus.values())
            if key in boot and ids != list(range(len(cpus))):
                out.append(f'stop "{name}": {words} of the CPUs = {ids}, not their logical ids 0..{len(cpus) - 1}')
        harts = [v.get(HART_ID) for v in cpus.values()]
        if HART_ID in boot and len(set(harts)) != len(harts):
            out.append(f'stop "{name}": a6 (hart id) of the CPUs = {harts}: not one hart each')
    return out


def stop_number(stops, record):
    """1-based position among the scenario's own stops (a "returns" check
    shares the number of the stop it belongs to)."""
    upto = stops[:stops.index(record) + 1]
    return sum(1 for s in upto if "returns_of" not in s)


def first_unreached(result):
    return next((s for s in result.get("stops", []) if not s.get("reached")), None)


def end_state_lines(end):
    if "pc" not in end:
        return [f"state at end: unreadable ({end.get('unreadable', 'no target')})"]
    if "priv" in end:
        return [f"state at end: PC={_hex(end['pc'])}{_level(end)} sstatus={_hex(end.get('sstatus'))} "
                f"satp={_hex(end.get('satp'))}",
                f"  scause={_hex(end.get('scause'))} ({_scause_words(end.get('scause', 0))}) "
                f"stval={_hex(end.get('stval'))} sepc={_hex(end.get('sepc'))}"]
    line = f"state at end: PC={_hex(end['pc'])} EL={end['el']} CPSR={_hex(end['cpsr'])}"
    lines = [line]
    for el in (1, 2):
        if f"ESR_EL{el}" in end:
            lines.append(f"  ESR_EL{el}={_hex(end[f'ESR_EL{el}'])} ({end[f'ESR_EL{el}_decoded']}) "
                         f"ELR_EL{el}={_hex(end.get(f'ELR_EL{el}'))} FAR_EL{el}={_hex(end.get(f'FAR_EL{el}'))}")
    return lines


def describe(prepared, run):
    """The diagnosis text for one run (also printed for passing runs)."""
    r = run.result
    lines = [f"scenario {prepared.name}: gdb run took {run.elapsed:.1f}s; ended by {run.ended_by}"]
    if "error" in r:
        lines.append(f"gdb side failed: {r['error']}")
        lines.append("--- gdb output ---\n" + "\n".join(run.gdb_output.splitlines()[-15:]))
    stops = r.get("stops", [])
    reached = [s for s in stops if s.get("reached")]
    missing = first_unreached(r)
    if missing is not None:
        n = stop_number(stops, missing)
        lines.append(f'stop {n} of {len(prepared.plan["stops"])} "{missing["name"]}" at '
                     f'{_hex(missing["address"])} was never reached')
    if reached:
        last = reached[-1]
        lines.append(f'last stop reached: {stop_number(stops, last)} "{last["name"]}" at PC={_hex(last.get("pc", last["address"]))}'
                     + _level(last))
    else:
        lines.append("last stop reached: none")
    lines += failed_checks(r)
    lines += end_state_lines(r.get("end", {}))
    tail = [l for l in run.serial.splitlines() if l.strip()][-SERIAL_TAIL:]
    lines.append(f"last serial lines ({len(tail)}):")
    lines += [f"  | {l}" for l in tail]
    return "\n".join(lines)
