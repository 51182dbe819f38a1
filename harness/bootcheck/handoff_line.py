"""The loader's `loader: handoff x0=... x5=...` console line, read back.

A module of its own, importing nothing: gdb's Python (harness/gdb/bcgdb)
reads this line at every stop, and importing bootcheck.expect there would
load pyelftools into every gdb (a tenth of a CPU-second each)."""


def parse_loader_handoff(serial):
    """The six values the loader printed, or None."""
    for line in serial.splitlines():
        if line.startswith("loader: handoff "):
            regs = dict(kv.split("=") for kv in line.split()[2:])
            return [int(regs[f"x{i}"], 16) for i in range(6)]
    return None
