"""Where a loader's instructions go: guest instructions from reset to the
kernel's entry, split into phases by the loader's own functions.

The same record/replay counter as bootcost (QEMU `-icount shift=0,rr=record`,
read with `monitor info replay` from gdb), so the phases add up exactly to
bootcost's `kernel_entry` count, and nothing in the loader changes: gdb stops
at breakpoints only. A phase is a set of function symbols of the loader
image. gdb stops at the entry of each; the count there opens the phase, and
a temporary breakpoint at the return address (x30) closes it. While a phase
is open every other phase breakpoint is disabled, so a call nested in a
phase belongs to it (the payload DTB's copy into scratch memory, made inside
`dtb_select`, is DTB work, not copy work) and costs no stop.

    reset_to_c   reset to the first instruction of the C entry (`main_symbol`)
    <phases>     the instructions inside the phase functions, summed over calls
    other        the rest after the C entry: the entry's own code and its
                 helpers that belong to no phase, up to the kernel's entry

Single-core kernels only: with more vCPUs, icount interleaves the cores and
the secondaries run loader code too.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field

from ..boot.gdbrun import gdb_environment
from ..boot.qemu_machine import machine_argv, machine_for
from ..kernel import expect
from . import bootcost

# Our loader (loader/arch/aarch64, loader/common). Validation (the payload archive,
# both ELFs, the placement plan) is its own phase; the DTB phase is
# fdt_check_header, the structure pass and fdt_pack, plus the copy of a
# payload DTB into scratch memory.
OURS = {
    "main_symbol": "loader_main",
    "phases": [
        ("dtb", ("dtb_select",)),
        ("validate_plan", ("find_member", "cpio_find", "elf_validate", "plan_boot")),
        ("copy", ("load_copy", "memmove", "memcpy")),
        ("zero", ("load_zero", "memset")),
        ("tables", ("mmu_enable_boot_map", "mmu_build_handoff")),
        ("cache", ("cache_sync_code",)),
        ("smp", ("smp_kernel_nodes", "smp_start_cores", "smp_release_cores")),
        ("console", ("uart_printf", "uart_puts", "uart_putc")),
    ],
}

# seL4's stock elfloader (seL4_tools), by the function names its image
# carries (13.0.x: its own fdt_size, no libfdt, no DTB check; load_images
# zeroes each image with memset, then copies its segments with memcpy; the
# caches are cleaned by set/way before the MMU goes on). Names a given build
# lacks are skipped; what none of them covers (its driver set-up, the ELF
# accessors called from load_images, main's own code) is `other`.
SEL4_ELFLOADER = {
    "main_symbol": "main",
    "phases": [
        ("dtb", ("fdt_size", "fdt_check_header", "fdt_check_full", "fdt_path_offset",
                 "fdt_getprop", "fdt_pack", "fdt_move", "fdt_open_into")),
        ("validate_plan", ("cpio_get_file", "cpio_get_entry", "cpio_info", "cpio_parse_header",
                           "elf_checkFile", "elf_getMemoryBounds", "ensure_phys_range_valid",
                           "regions_overlap", "get_phys_bounds")),
        ("copy", ("memcpy", "memmove")),
        ("zero", ("memset", "clear_bss")),
        ("tables", ("init_boot_vspace", "init_hyp_boot_vspace")),
        ("cache", ("flush_dcache", "invalidate_dcache", "invalidate_icache",
                   "clean_and_invalidate_dcache")),
        ("smp", ("smp_boot", "boot_cpu", "init_cpus")),
        ("console", ("printf", "vprintf", "vxprintf", "puts", "putchar", "__fputc",
                     "plat_console_putchar", "uart_putchar")),
    ],
}


PHASE_TITLES = {
    "reset_to_c": "reset to C (crt0, .bss)",
    "dtb": "DTB: check, scan, pack",
    "validate_plan": "payload, ELF checks, placement plan",
    "copy": "copy (segments, DTB)",
    "zero": "zero (.bss, gaps, tables, structures)",
    "tables": "page tables",
    "cache": "cache maintenance",
    "smp": "SMP: start the other cores",
    "console": "console output",
    "other": "other (main's own code, the jump)",
}


def spec_for(image):
    """OURS for a bootcheck loader image (it has `loader_main`), else seL4's."""
    syms = expect.elf_facts(image).symbols
    return OURS if "loader_main" in syms else SEL4_ELFLOADER


@dataclass
class PhaseCost:
    label: str
    image: str
    kernel_entry: int | None            # instructions from reset to the kernel's entry
    phases: list                        # [(name, instructions)], reset_to_c first, other last
    calls: dict = field(default_factory=dict)   # phase -> number of top-level calls
    symbols: dict = field(default_factory=dict)  # phase -> symbols found in the image
    notes: list = field(default_factory=list)

    def as_dict(self):
        return {"label": self.label, "image": os.path.basename(self.image),
                "kernel_entry": self.kernel_entry,
                "phases": [{"name": n, "instructions": c, "calls": self.calls.get(n)}
                           for n, c in self.phases],
                "symbols": {k: list(v) for k, v in self.symbols.items()},
                "notes": list(self.notes)}


# Runs inside gdb (gdb's own Python): the event loop described above. Writes
# one line per event to OUT: "enter PHASE COUNT", "leave PHASE COUNT",
# "main COUNT", "kernel COUNT", or "error TEXT".
_GDB_PY = r'''
import re
import gdb

CFG = {cfg!r}
out = open(CFG["out"], "w", buffering=1)
COUNT = re.compile(r"instruction count = (\d+)")


def count():
    m = COUNT.search(gdb.execute("monitor info replay", to_string=True))
    return int(m.group(1)) if m else -1


def hbreak(addr):
    gdb.execute("hbreak *0x%x" % addr, to_string=True)
    return gdb.breakpoints()[-1]


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set remotetimeout 30")
gdb.execute("target remote | exec " + CFG["qemu"], to_string=True)
main_bp = hbreak(CFG["main"])
kernel_bp = hbreak(CFG["kernel"])
phase_bps = {{}}         # set once the C entry is reached: work before it is reset_to_c
open_phase = None
return_bp = None
try:
    while True:
        gdb.execute("continue", to_string=True)
        pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
        n = count()
        if pc == CFG["kernel"]:
            out.write("kernel %d\n" % n)
            break
        if pc == CFG["main"] and main_bp is not None:
            out.write("main %d\n" % n)
            main_bp.delete()
            main_bp = None
            for addr, phase in CFG["entries"]:
                phase_bps[addr] = (phase, hbreak(addr))
            continue
        if open_phase is not None and return_bp is not None and pc == return_at:
            out.write("leave %s %d\n" % (open_phase, n))
            return_bp.delete()
            return_bp = None
            open_phase = None
            for _, bp in phase_bps.values():
                bp.enabled = True
        elif open_phase is None and pc in phase_bps:
            open_phase = phase_bps[pc][0]
            out.write("enter %s %d\n" % (open_phase, n))
            return_at = int(gdb.parse_and_eval("$x30")) & 0xffffffffffffffff
            for _, bp in phase_bps.values():
                bp.enabled = False
            return_bp = hbreak(return_at)
except gdb.error as e:
    out.write("error %s\n" % str(e).replace("\n", " "))
out.close()
gdb.execute("kill")
'''


def _tally(events, phase_names):
    """Phase totals from the event lines; (kernel_entry, totals, calls, notes)."""
    totals = {name: 0 for name in phase_names}
    calls = {name: 0 for name in phase_names}
    main_at = kernel_at = None
    opened = None
    notes = []
    for line in events:
        word, _, rest = line.partition(" ")
        if word == "error":
            notes.append("gdb: " + rest)
            continue
        if word == "main":
            main_at = int(rest)
        elif word == "kernel":
            kernel_at = int(rest)
        elif word == "enter":
            name, n = rest.split()
            opened = (name, int(n))
        elif word == "leave":
            name, n = rest.split()
            if opened is None or opened[0] != name:
                notes.append(f"unbalanced phase event: {line}")
                continue
            totals[name] += int(n) - opened[1]
            calls[name] += 1
            opened = None
    if opened is not None:
        notes.append(f"phase {opened[0]} still open at the end (it never returned)")
    return main_at, kernel_at, totals, calls, notes


def measure(image, kernel_elf, label=None, spec=None, machine=None, cpu="cortex-a53", mem=1024,
            timeout=180.0):
    """Instructions per loader phase, from reset to `kernel_elf`'s entry."""
    spec = spec or spec_for(image)
    syms = expect.elf_facts(image).symbols
    kernel_entry = expect.elf_facts(kernel_elf).entry
    notes = []
    main = syms.get(spec["main_symbol"])
    if main is None:
        return PhaseCost(label or os.path.basename(image), str(image), None, [], notes=[
            f"the image has no symbol {spec['main_symbol']}: phases not measured"])
    entries, found, seen = [], {}, set()
    for phase, names in spec["phases"]:
        for name in names:
            addr = syms.get(name, (None,))[0]
            if addr and addr not in seen:
                seen.add(addr)
                entries.append((addr, phase))
                found.setdefault(phase, []).append(name)
    machine = machine or machine_for(kernel_elf)
    work = tempfile.mkdtemp(prefix="phases-")
    pidfile = os.path.join(work, "qemu.pid")
    out_path = os.path.join(work, "events.txt")
    qemu_cmd = ["timeout", "--foreground", "-s", "KILL", str(int(timeout) + 5),
                *machine_argv(machine, cpu, mem), "-monitor", "none", "-no-reboot",
                "-pidfile", pidfile, "-serial", "null",
                "-icount", f"shift=0,rr=record,rrfile={os.path.join(work, 'replay.bin')}",
                "-gdb", "stdio", "-S", "-kernel", os.path.abspath(image)]
    cfg = {"out": out_path, "qemu": " ".join(qemu_cmd), "main": main[0],
           "kernel": kernel_entry, "entries": entries}
    script = os.path.join(work, "phases.py")
    with open(script, "w") as f:
        f.write(_GDB_PY.format(cfg=cfg))
    try:
        with open(os.path.join(work, "gdb.out"), "w") as log:
            proc = subprocess.Popen([bootcost.GDB, "-nx", "-q", "-batch", "-x", script],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=gdb_environment())
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                notes.append(f"timed out after {timeout:.0f}s")
            finally:
                bootcost._stop_qemu(pidfile)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        events = []
        if os.path.exists(out_path):
            with open(out_path) as f:
                events = [line.strip() for line in f if line.strip()]
        if not events:
            with open(os.path.join(work, "gdb.out"), errors="replace") as f:
                notes.append("no events; gdb said: " + f.read().strip()[-500:])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    names = [p for p, _ in spec["phases"]]
    main_at, kernel_at, totals, calls, tally_notes = _tally(events, names)
    notes += tally_notes
    phases = []
    if main_at is not None and kernel_at is not None:
        phases.append(("reset_to_c", main_at))
        phases += [(n, totals[n]) for n in names]
        phases.append(("other", kernel_at - main_at - sum(totals.values())))
    elif kernel_at is None:
        notes.append("the kernel's entry was not reached")
    return PhaseCost(label or os.path.basename(image), str(image), kernel_at, phases, calls,
                     found, notes)


def render_md(measured):
    """A Markdown table: one row per phase, one column per image, from
    [(label, PhaseCost.as_dict())]; the last row is the kernel_entry total."""
    measured = [(label, d) for label, d in measured if d and d.get("phases")]
    if not measured:
        return []
    fmt = lambda n: "" if n is None else f"{n:,}"   # noqa: E731
    names = []
    for _, d in measured:
        names += [p["name"] for p in d["phases"] if p["name"] not in names]
    out = ["| phase | " + " | ".join(label for label, _ in measured) + " |",
           "|---|" + "---:|" * len(measured)]
    for name in names:
        cells = [fmt(next((p["instructions"] for p in d["phases"] if p["name"] == name), None))
                 for _, d in measured]
        out.append(f"| {PHASE_TITLES.get(name, name)} | " + " | ".join(cells) + " |")
    out.append("| **total to the kernel's entry** | " +
               " | ".join(f"**{fmt(d['kernel_entry'])}**" for _, d in measured) + " |")
    return out
