"""seL4's RISC-V boot contract, judged on what the riscv64 emu-check saw
(harness/emu/arch/riscv64): the links of contract.CHAIN in seL4's RISC-V
terms. At the kernel's `_start` (src/arch/riscv/head.S, kernel/boot.c):
S-mode, satp Sv39 with the kernel window mapped V R W X A D onto the kernel's
ELF physical image; a0/a1 the user image's physical range (a0 page-aligned),
a2 the physical - virtual offset of the user image, a3 its virtual entry,
a4/a5 the DTB (outside the kernel and user images); an SMP kernel's every
hart enters with the same a0..a5, its hart id in a6 and a core id in a7.

The links after the kernel entry (init_kernel, the root task's first context,
its entry in U-mode and its run) are seen by QEMU + GDB (bootcheck.boot.rv_gdb)."""

from ..kernel import expect
from . import contract

PAGE = expect.PAGE
Finding = contract.Finding
hx = contract.hx

# emu-check's RISC-V checks and the chain link each judges.
CHECK_LINK = {"entry": "entry_state", "page_tables": "kernel_window", "kernel_image": "kernel_loaded",
              "rootserver": "rootserver", "user_image": "user_loaded", "dtb": "dtb", "harts": "cores"}
SOURCE = "Unicorn riscv64 (emu-check)"


def _f(rule, status, sentence, **details):
    return Finding(rule, status, sentence, SOURCE, details)


def _user_region(inp, a):
    """a0..a3 in seL4's terms, from the root task's ELF: the region, pv offset
    and entry links (the bytes themselves are emu-check's user_image check)."""
    u = inp.roottask
    vmin, vmax = u.vmin & ~(PAGE - 1), (u.vmax + PAGE - 1) & ~(PAGE - 1)
    out = []
    if a[0] % PAGE or a[1] <= a[0] or a[1] - a[0] < vmax - vmin:
        if a[0] % PAGE:
            why = f"a0 {hx(a[0])} (the user image's physical start) is not page-aligned"
        elif a[1] <= a[0]:
            why = f"a1 {hx(a[1])} is not above a0 {hx(a[0])}"
        else:
            why = (f"a1 {hx(a[1])} is {contract.pages(vmax - vmin - (a[1] - a[0]))} short: [a0, a1) holds "
                   f"{hx(a[1] - a[0])} bytes, the root task spans [{hx(vmin)}..{hx(vmax)}) = {hx(vmax - vmin)}")
        out.append(_f("user_region", "fail", why))
    else:
        out.append(_f("user_region", "pass", f"a0..a1 = [{hx(a[0])}..{hx(a[1])}) holds the root task's "
                      f"{hx(vmax - vmin)} bytes"))
    vstart, vend = (a[0] - a[2]) & contract.MASK64, (a[1] - a[2]) & contract.MASK64
    if vstart > u.vmin or vend < u.vmax:
        d = (a[2] - (a[0] - vmin)) & contract.MASK64      # against the offset that maps a0 to vmin
        side = f"{contract.pages(d)} high" if d < (1 << 63) else f"{contract.pages((1 << 64) - d)} low"
        out.append(_f("pv_offset", "fail", f"a2 (pv offset) {hx(a[2])} is {side}: a0 - a2 = {hx(vstart)}, "
                      f"the root task starts at {hx(vmin)}, so seL4 would map its pages from the wrong frames"))
    else:
        out.append(_f("pv_offset", "pass", f"a2 {hx(a[2])}: user virtual [{hx(vstart)}..{hx(vend)}) covers the "
                      "root task"))
    if a[3] != u.entry:
        out.append(_f("user_entry", "fail", f"a3 {hx(a[3])} is not the root task's entry {hx(u.entry)}"))
    else:
        out.append(_f("user_entry", "pass", f"a3 = the root task's entry {hx(u.entry)}"))
    return out


FDT_MAGIC = 0xd00dfeed


def judge_dtb(inp, a, header):
    """a4/a5 in seL4's terms: none (a4 = 0), or a flattened device tree
    (magic, a5 at least its totalsize) that overlaps neither the user image
    [a0, a1) nor the kernel's physical image. header: the first 8 bytes at
    a4 (None when that address cannot be read). The same rule as emu-check's
    dtb check, for the registers gdb sees (`handoff` in make debug)."""
    if a[4] == 0:
        return _f("dtb", "pass", f"no DTB handed over (a4 = 0, a5 = {hx(a[5])}): seL4 boots from its built-in "
                  "platform description")
    if header is None or len(header) < 8 or int.from_bytes(header[:4], "big") != FDT_MAGIC:
        return _f("dtb", "fail", f"a4 {hx(a[4])} does not point at a DTB in RAM (no d00dfeed magic)")
    total = int.from_bytes(header[4:8], "big")
    end = a[4] + a[5]
    if a[5] < total:
        return _f("dtb", "fail", f"a5 (DTB size) {hx(a[5])} is less than the DTB's totalsize {hx(total)}")
    if a[4] < a[1] and a[0] < end:
        return _f("dtb", "fail", f"DTB [{hx(a[4])}..{hx(end)}) overlaps the user image [{hx(a[0])}..{hx(a[1])})")
    kstart, kend = inp.kernel.pmin, inp.kernel.pmax
    if a[4] < kend and kstart < end:
        return _f("dtb", "fail", f"DTB [{hx(a[4])}..{hx(end)}) overlaps the kernel image [{hx(kstart)}..{hx(kend)})")
    return _f("dtb", "pass", f"DTB at paddr {hx(a[4])}, a5 {hx(a[5])} (totalsize {hx(total)}), clear of the "
              "kernel and user images")


def judge_handoff(inp, a, dtb_header):
    """a0..a5 as a hart holds them at the kernel's entry: the user region,
    pv offset and entry links (from the root task's ELF) and the DTB link."""
    return _user_region(inp, a) + [judge_dtb(inp, a, dtb_header)]


def judge_emu(inp, report):
    """Findings from the riscv64 emu-check's JSON report."""
    if report.get("outcome") != "reached_kernel":
        return [_f("kernel_reached", "fail", report.get("message", "the loader did not reach the kernel"))]
    out = [_f("kernel_reached", "pass", report["message"])]
    a = [int(v, 16) if isinstance(v, str) else v for v in report["observations"]["a"]]
    out += _user_region(inp, a)
    for c in report["checks"]:
        rule = CHECK_LINK.get(c["name"])
        if rule is None:
            continue
        msg = c["message"].strip().splitlines()
        first = " ".join(line.strip() for line in msg[:6]) if msg else ""
        if c["status"] == "pass":
            out.append(_f(rule, "pass", first))
        elif c["status"] == "fail":
            out.append(_f(rule, "fail", first))
        else:
            out.append(_f(rule, "not_observed", first, why=first,
                          needs="give the unstripped kernel with KERNEL=" if rule == "rootserver" else None))
    harts = report["observations"].get("harts", [])
    entered = sum(1 for h in harts if h.get("state") == "entered the kernel")
    if inp.target.nodes > 1 and entered < inp.target.nodes:
        out.append(_f("cores", "fail", f"the kernel is built for {inp.target.nodes} harts; {entered} entered it"))
    return out


def harts_left_unstarted(inp, report):
    """The harts of an SMP kernel the emulation saw the loader never start
    (SBI HSM hart_start), in words, or None (it started enough, the kernel
    needs one hart, the emulation did not reach the kernel, or the kernel is
    the stand-in, which says so itself 2 s into its wait). Decided: a hart
    OpenSBI holds stopped runs only when asked to, and seL4 does not ask, so
    seL4's boot hart waits for them forever, silently."""
    n = inp.target.nodes
    if not n or n <= 1 or inp.target.kind == "stand-in" or report.get("outcome") != "reached_kernel":
        return None
    harts = report.get("observations", {}).get("harts", [])
    started = sum(1 for h in harts if h.get("state") != "never started")
    if not harts or started >= n:
        return None
    return (f"the loader started {started - 1} of the {n - 1} other harts the kernel needs with SBI "
            "hart_start: seL4's boot hart waits for them forever")


QEMU_SOURCE = "QEMU + GDB (riscv64, OpenSBI -bios default)"


def gdb_stops(inp):
    """The stops for bootcheck.boot.rv_gdb, in boot order (those the kernel's
    symbols allow: a stripped kernel has only its entry)."""
    k = inp.kernel
    stops = [("kernel entry", k.entry)]
    for name in ("init_kernel", "restore_user_context"):
        if name in k.symbols:
            stops.append((name, k.symbols[name][0]))
    stops.append(("root task entry", inp.roottask.entry))
    return stops


def _q(rule, status, sentence, **details):
    return Finding(rule, status, sentence, QEMU_SOURCE, details)


def _last_line(serial):
    lines = [l for l in serial.splitlines() if l.strip()]
    return lines[-1] if lines else "(nothing)"


def judge_qemu(inp, run, emu_a=None):
    """Findings from the stops gdb reached in QEMU and the serial log."""
    from ..boot.rv_gdb import FAULT_LINES, priv_name
    out = []
    s = run.stops
    last = _last_line(run.serial)
    entry = s.get("kernel entry")
    if entry is None:
        return [_q("kernel_reached", "fail", f"QEMU never reached the kernel's entry {hx(inp.kernel.entry)} "
                   f"({run.ended}); last serial line: {last!r}")]
    out.append(_q("kernel_reached", "pass", f"gdb stopped at the kernel's entry {hx(inp.kernel.entry)}"))
    a = [entry.get(f"a{i}") for i in range(6)]
    if entry.get("priv") not in (1, None) or (entry.get("satp") or 0) >> 60 != 8:
        out.append(_q("entry_state", "fail", f"at the kernel entry: {priv_name(entry.get('priv'))}, satp "
                      f"{hx(entry.get('satp') or 0)}; seL4 wants S-mode with Sv39 on"))
    elif emu_a is not None and a[:4] != emu_a[:4]:
        # a4/a5 may differ: OpenSBI grows QEMU's DTB with its fixups, the
        # emulator hands over QEMU's dump as it is.
        out.append(_q("entry_state", "warn", "QEMU's a0..a3 " + ", ".join(hx(v or 0) for v in a[:4]) +
                      " differ from the emulator's " + ", ".join(hx(v) for v in emu_a[:4])))
    else:
        out.append(_q("entry_state", "pass", f"{priv_name(entry.get('priv'))}, satp {hx(entry['satp'])} (Sv39), "
                      "a0..a5 " + ", ".join(hx(v or 0) for v in a)))
    stripped = "init_kernel" not in inp.kernel.symbols
    for stop, rule in (("init_kernel", "kernel_init"), ("restore_user_context", "user_context")):
        if stripped:
            why = "the kernel is stripped (no init_kernel / restore_user_context symbols)"
            out.append(Finding(rule, "not_observed", f"not observed: {why}", QEMU_SOURCE,
                               {"why": why, "needs": "give the unstripped kernel with KERNEL="}))
        elif stop in s:
            out.append(_q(rule, "pass", f"gdb stopped at {stop} ({priv_name(s[stop].get('priv'))})"))
        else:
            out.append(_q(rule, "fail", f"seL4 never reached {stop} ({run.ended}); last serial line: {last!r}"))
    u = s.get("root task entry")
    if u is None:
        out.append(_q("roottask_entry", "fail", f"the root task's entry {hx(inp.roottask.entry)} was never "
                      f"reached ({run.ended}); last serial line: {last!r}"))
        return out
    if u.get("priv") not in (0, None) or u.get("pc") != inp.roottask.entry:
        out.append(_q("roottask_entry", "fail", f"the root task's entry was reached in "
                      f"{priv_name(u.get('priv'))}, not U-mode"))
        return out
    out.append(_q("roottask_entry", "pass", f"the root task's first instruction {hx(inp.roottask.entry)} in "
                  f"{priv_name(u.get('priv'))}, a0 (BootInfo) {hx(u.get('a0') or 0)}"))
    if "Booting all finished" in run.serial:
        out.append(_q("free_memory", "pass", "seL4 described its free memory and dropped to user space "
                      "(serial: 'Booting all finished, dropped to user space')"))
    after = run.serial.split("Booting all finished", 1)[-1]
    fault = FAULT_LINES.search(after)
    if fault:
        out.append(_q("roottask_runs", "fail", f"the root task faulted: {fault.group(0).strip()!r}"))
    else:
        out.append(_q("roottask_runs", "pass", f"no fault report in the serial log after the root task's entry "
                      f"(watched to: {run.ended}); last line {last!r}"))
    return out
