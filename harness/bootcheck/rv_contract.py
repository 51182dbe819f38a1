"""seL4's RISC-V boot contract, judged on what the riscv64 emu-check saw
(harness/emu/arch/riscv64): the links of contract.CHAIN in seL4's RISC-V
terms. At the kernel's `_start` (src/arch/riscv/head.S, kernel/boot.c):
S-mode, satp Sv39 with the kernel window mapped V R W X A D onto the kernel's
ELF physical image; a0/a1 the user image's physical range (a0 page-aligned),
a2 the physical - virtual offset of the user image, a3 its virtual entry,
a4/a5 the DTB (outside the kernel and user images); an SMP kernel's every
hart enters with the same a0..a5, its hart id in a6 and a core id in a7.

Links after the kernel entry (init_kernel, the root task's first context and
its run in U-mode) are seen by QEMU + GDB on Arm; on RISC-V that side is not
written yet, so they are reported as not observed (an INCOMPLETE verdict)."""

from . import contract, expect

PAGE = expect.PAGE
Finding = contract.Finding
hx = contract.hx

# emu-check's RISC-V checks and the chain link each judges.
CHECK_LINK = {"entry": "entry_state", "page_tables": "kernel_window", "kernel_image": "kernel_loaded",
              "rootserver": "rootserver", "user_image": "user_loaded", "dtb": "dtb", "harts": "cores"}
NOT_YET = ("free_memory", "kernel_init", "user_context", "roottask_entry", "roottask_runs")
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
        d = (vstart - vmin) & contract.MASK64
        side = (f"{contract.pages(d)} high" if d < (1 << 63) else f"{contract.pages((vmin - vstart))} low")
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


def not_yet(inp):
    why = "QEMU + GDB on RISC-V (init_kernel, restore_user_context, the root task in U-mode) is not written yet"
    return [Finding(r, "not_observed", why, "", {"why": why, "needs": None}) for r in NOT_YET]
