"""seL4's AArch64 boot contract (13.0.0 to 16.0.0: the loader contract did not
change; what did, the boot log and the root task's ABI, is read with the
kernel's target description), written once: named rules over what a
loader was *observed* to do, in the order of the boot chain, each judged with
a sentence that carries the numbers.

Observations come from two sides and have the same shape:
- emulation (emu-check's JSON "observations": registers and memory at the
  branch to the kernel, every store, the page tables), and
- QEMU + GDB (registers and memory at the kernel's entry, init_kernel,
  restore_user_context and the root task's entry, plus the serial log).

Nothing here knows where *our* loader puts things: the kernel's placement is
fixed by its ELF, everything else is judged from x0..x5 as handed over. A
loader that places the root task or the DTB elsewhere and honours the
contract passes (facts: ../shared/sel4-aarch64-handoff.md §3, §4).
"""

import re
from dataclasses import dataclass, field

from ..kernel import bootlog, expect, facts, roottask_failures
from ..kernel import target as target_mod

PAGE = expect.PAGE
MASK64 = (1 << 64) - 1
TCR_EL2_SEL4_HYP = 0x80823510      # checkTCR_EL2() compares with exactly this
ROOTSERVER_FIELDS = ("cnode", "vspace", "asid_pool", "ipc_buf", "boot_info", "extra_bi", "tcb",
                     "paging.start", "paging.end")

# The boot chain, in order. The diagnosis names the first link that broke.
CHAIN = (
    ("kernel_reached", "the loader reaches the kernel's entry"),
    ("entry_state", "the CPU state at the kernel's entry (EL, MMU, TCR, MAIR)"),
    ("kernel_window", "the kernel window in the loader's page tables"),
    ("kernel_loaded", "the kernel image at its ELF physical address"),
    ("rootserver", "seL4's rootserver left to the kernel"),
    ("user_region", "x0/x1: the root task's physical range"),
    ("pv_offset", "x2: pv_offset"),
    ("user_entry", "x3: the root task's entry"),
    ("user_loaded", "the root task image at x0"),
    ("dtb", "x4/x5: the DTB"),
    ("free_memory", "the free memory seL4 can describe"),
    ("cores", "every core the kernel needs enters it with the same hand-off"),
    ("kernel_init", "seL4's init_kernel completes"),
    ("user_context", "the root task's first context"),
    ("roottask_entry", "the root task's entry at EL0"),
    ("roottask_runs", "the root task runs without a fault"),
)
CHAIN_ORDER = {name: i for i, (name, _) in enumerate(CHAIN)}


def hx(v):
    return f"0x{v:x}"


def pages(n):
    n = abs(n)
    return f"{n // PAGE} page{'s' if n // PAGE != 1 else ''}" if n % PAGE == 0 else f"{n} bytes"


def last_pages(n):
    """'its last page is' / 'its last 3 pages are' / 'its last 100 bytes are'."""
    if n == PAGE:
        return "its last page is"
    return f"its last {pages(n)} are"


# seL4 (13.0.0 to 16.0.0 alike) on qemu-arm-virt describes free RAM in MAX_NUM_FREEMEM_REG = 3
# slots (1 RAM region + 1 for its boot code + 1 spare for the rootserver
# objects) and refuses a placement that fills the spare one.
MAX_FREE_REGIONS = 2
REGISTER_NAMES = ("x0", "x1", "x2", "x3", "x4", "x5")


@dataclass
class Finding:
    rule: str
    status: str                 # pass | fail | warn | not_observed
    sentence: str
    source: str = ""            # which side saw it, and where
    details: dict = field(default_factory=dict)

    @property
    def order(self):
        return CHAIN_ORDER[self.rule]

    def as_dict(self):
        return {"rule": self.rule, "status": self.status, "sentence": self.sentence,
                "source": self.source, "link": CHAIN_ORDER[self.rule] + 1, **self.details}


@dataclass
class Inputs:
    """The ELF files the contract is about, as facts, and the kernel's target
    description (release, MCS, EL, cores: bootcheck.kernel.target)."""
    kernel: expect.ElfFacts
    roottask: expect.ElfFacts
    kernel_path: str
    roottask_path: str
    mem_mib: int = 1024
    target: target_mod.Target = None

    @classmethod
    def load(cls, kernel_path, roottask_path, mem_mib=1024):
        return cls(expect.elf_facts(kernel_path), expect.elf_facts(roottask_path),
                   kernel_path, roottask_path, mem_mib, target_mod.read(kernel_path))

    @property
    def hyp(self):
        return self.target.hyp

    @property
    def el(self):
        return self.target.el

    @property
    def nodes(self):
        return self.target.nodes

    @property
    def ram(self):
        """The RAM seL4 (qemu-arm-virt) knows: from its physical base (the
        hyp build leaves [0x40000000, 0x60000000) to guests) to the end of
        the machine's RAM."""
        return (self.kernel.pmin, facts.RAM_BASE + self.mem_mib * 1024 * 1024)

    @property
    def kernel_phys(self):
        return (self.kernel.pmin, expect.round_up(self.kernel.pmax, PAGE))

    @property
    def user_vmin(self):
        return expect.round_down(self.roottask.vmin, PAGE)

    @property
    def user_span(self):
        return expect.round_up(self.roottask.vmax, PAGE) - self.user_vmin

    @property
    def user_top(self):
        return facts.USER_TOP_HYP if self.hyp else facts.USER_TOP_EL1


# --- rules over the hand-off registers (both sides) -------------------------

def judge_registers(inp, x, source):
    """x0..x5 against the contract: user range, pv_offset, entry, DTB place."""
    out = []
    x0, x1, x2, x3, x4, x5 = x
    span = inp.user_span
    kstart, kend = inp.kernel_phys
    # x0/x1
    if x0 % PAGE:
        out.append(Finding("user_region", "fail",
                           f"x0 = {hx(x0)} is not page aligned (off by {hx(x0 % PAGE)}): seL4 maps the "
                           "root task in 4 KiB frames and its debug build asserts in pte_pte_4k_page_new",
                           source))
    elif x1 < x0 + span:
        short = x0 + span - x1
        out.append(Finding("user_region", "fail",
                           f"x1 = {hx(x1)} is short of the root task's end: its {hx(span)}-byte image at "
                           f"x0 = {hx(x0)} ends at {hx(x0 + span)}, {pages(short)} more; seL4 maps only "
                           f"[x0, x1) as the root task's frames, so {last_pages(short)} left out and the IPC "
                           "buffer and BootInfo land on top of it", source))
    elif x0 < kend and x1 > kstart:
        out.append(Finding("user_region", "fail",
                           f"the root task's range [x0, x1) = [{hx(x0)}, {hx(x1)}) overlaps the kernel image "
                           f"[{hx(kstart)}, {hx(kend)})", source))
    else:
        f = Finding("user_region", "pass",
                    f"[x0, x1) = [{hx(x0)}, {hx(x1)}) is page aligned and holds the {hx(span)}-byte root "
                    "task image", source)
        if x1 != x0 + span:
            f = Finding("user_region", "warn",
                        f"x1 = {hx(x1)} is {pages(x1 - x0 - span)} beyond the root task's end "
                        f"{hx(x0 + span)}: seL4 accepts it, but maps those pages as root task frames and "
                        "moves the IPC buffer and BootInfo up", source)
        out.append(f)
    # x2
    want_x2 = (x0 - inp.user_vmin) & MASK64
    if x2 != want_x2:
        delta = (x2 - want_x2) if x2 >= want_x2 else -(want_x2 - x2)
        how = f"{pages(delta)} {'high' if delta > 0 else 'low'}"
        out.append(Finding("pv_offset", "fail",
                           f"x2 (pv_offset) = {hx(x2)}, but x0 - (root task's lowest vaddr {hx(inp.user_vmin)}) "
                           f"= {hx(want_x2)}: {how}; seL4 maps phys p at virt p - x2, so the root task "
                           f"appears {pages(delta)} {'lower' if delta > 0 else 'higher'} than linked and "
                           "faults at its entry", source))
    else:
        out.append(Finding("pv_offset", "pass", f"x2 = {hx(x2)} = x0 - {hx(inp.user_vmin)}", source))
    # x3
    if x3 != inp.roottask.entry:
        out.append(Finding("user_entry", "fail",
                           f"x3 = {hx(x3)} is not the root task's entry {hx(inp.roottask.entry)} "
                           f"(off by {hx((x3 - inp.roottask.entry) & MASK64)}): seL4 starts the root "
                           "task at x3", source))
    else:
        out.append(Finding("user_entry", "pass", f"x3 = {hx(x3)} = the root task's e_entry", source))
    # x4/x5: the reserved regions kernel < DTB < user image, in order, disjoint.
    size = x5 & 0xffffffff
    if x4 == 0 and size == 0:
        out.append(Finding("dtb", "pass", "x4 = x5 = 0: no DTB handed over (seL4 accepts it)", source))
    elif x4 == 0 or size == 0:
        out.append(Finding("dtb", "fail", f"x4 = {hx(x4)} and x5 = {hx(x5)}: a DTB needs both an address and "
                           "a size (or both 0)", source))
    elif x4 < kend and x4 + size > kstart:
        out.append(Finding("dtb", "fail",
                           f"the DTB [{hx(x4)}, {hx(x4 + size)}) overlaps the kernel image [{hx(kstart)}, "
                           f"{hx(kend)}): seL4 stops with \"reserved region 1 in wrong order\"", source))
    elif x4 < x1 and x4 + size > x0:
        out.append(Finding("dtb", "fail",
                           f"the DTB [{hx(x4)}, {hx(x4 + size)}) overlaps the root task's range [{hx(x0)}, "
                           f"{hx(x1)}): seL4 stops with \"reserved region 2 in wrong order\"", source))
    elif x4 >= x1:
        out.append(Finding("dtb", "fail",
                           f"the DTB [{hx(x4)}, {hx(x4 + size)}) lies above the root task [{hx(x0)}, {hx(x1)}): "
                           "seL4 lists reserved regions as kernel, DTB, user image and stops with "
                           "\"reserved region 2 in wrong order\"", source))
    elif x4 + size >= facts.PADDR_TOP:
        out.append(Finding("dtb", "fail", f"the DTB ends at {hx(x4 + size)}, past PADDR_TOP "
                           f"{hx(facts.PADDR_TOP)}", source))
    else:
        out.append(Finding("dtb", "pass", f"DTB [{hx(x4)}, {hx(x4 + size)}) between the kernel and the root "
                           "task", source))
    out.append(judge_free_memory(inp, x0, x1, x4, size, source))
    # The root task's virtual layout must stay below USER_TOP (§3.3).
    layout = facts.user_layout("u", [x0, x1, x2, x3, x4, x5], inp.hyp)
    if layout["u.it_v_end"] >= inp.user_top and not any(f.status == "fail" and f.rule == "pv_offset"
                                                        for f in out):
        out.append(Finding("user_region", "fail",
                           f"the root task's virtual image ends at {hx(layout['u.it_v_end'])}, past "
                           f"USER_TOP {hx(inp.user_top)}: seL4 stops with \"userland image virt ... exceeds "
                           "USER_TOP\"", source))
    return out


def judge_free_memory(inp, x0, x1, dtb_addr, dtb_size, source):
    """The gaps RAM minus {kernel, DTB, user image} leaves: seL4 keeps each
    as one free-memory region, and has room for MAX_FREE_REGIONS."""
    lo, hi = inp.ram
    reserved = sorted(r for r in [inp.kernel_phys, (dtb_addr, dtb_addr + dtb_size) if dtb_addr else None,
                                  (x0, x1)] if r and r[0] < r[1])
    gaps, at = [], lo
    for start, end in reserved:
        if start > at:
            gaps.append((at, min(start, hi)))
        at = max(at, end)
    if at < hi:
        gaps.append((at, hi))
    gaps = [g for g in gaps if g[0] < g[1]]
    listed = ", ".join(f"[{hx(a)}, {hx(b)})" for a, b in gaps)
    if len(gaps) > MAX_FREE_REGIONS:
        return Finding("free_memory", "fail",
                       f"the placement leaves {len(gaps)} free memory regions in RAM [{hx(lo)}, {hx(hi)}): "
                       f"{listed}; {_release_words(inp)} (qemu-arm-virt) has room for {MAX_FREE_REGIONS} and stops with "
                       "\"ERROR: insufficient MAX_NUM_FREEMEM_REG (3)\"; place the DTB and the root task "
                       "next to the kernel or to each other", source)
    return Finding("free_memory", "pass", f"{len(gaps)} free memory region{'s' if len(gaps) != 1 else ''}: "
                   f"{listed}", source)


def cores_left_unstarted(inp, emu_report):
    """The other cores of an SMP kernel the emulation saw the loader never
    start with PSCI CPU_ON, in words, or None (it started enough, the kernel
    needs one core or cannot tell, the emulation did not reach the kernel,
    or the kernel is the stand-in, which says so itself 2 s into its wait).
    Decided: after the kernel's entry nobody starts a core (seL4 does not),
    so seL4's boot core waits for them forever, silently."""
    if (inp.target.cores is None or inp.nodes <= 1 or inp.target.kind == "stand-in"
            or emu_report.get("outcome") != "reached_kernel"):
        return None
    started = len(emu_report.get("observations", {}).get("cores", []))
    if started >= inp.nodes - 1:
        return None
    return (f"the loader started {started} of the {inp.nodes - 1} other cores the kernel needs with PSCI "
            "CPU_ON: seL4's boot core waits for them forever")


def judge_cores(inp, obs, source):
    """SMP: seL4's boot core waits in init_kernel until all MAX_NUM_NODES
    cores have entered; each must come with the boot core's x0..x5, at the
    same EL with the MMU on, and TPIDR_EL1 = its logical id (head.S picks
    the core's stack by it; the boot core's is 0)."""
    if inp.target.cores is None:
        return Finding("cores", "not_observed",
                       f"not observed: how many cores the kernel needs cannot be told ({inp.target.evidence['cores']})",
                       source, {"why": "the image's kernel is stripped", "needs": GIVE_KERNEL})
    n = inp.nodes
    cores = obs.get("cores", [])
    entered = [c for c in cores if c.get("state") == "entered"]
    if n == 1:
        if entered:
            c = entered[0]
            return Finding("cores", "fail",
                           f"a single-core kernel, but the loader started {len(entered)} more core(s) into it "
                           f"(PSCI CPU_ON target {hx(c['target'])}): they run the kernel's boot code "
                           "concurrently with the boot core", source)
        return Finding("cores", "pass", "a single-core kernel; no other core entered it", source)
    need = (f"the kernel needs {n} cores (its kernel_stack_alloc holds {n} stacks)" if not inp.target.stripped
            else f"the kernel needs {n} cores (its ._idle_thread section holds {n} idle TCBs)")
    if not cores:
        if obs.get("qemu_cpus"):
            return Finding("cores", "fail",
                           f"{need}, but no other CPU reached its entry: seL4's boot core waits for them "
                           "in init_kernel forever, silently", source)
        return Finding("cores", "fail",
                       f"{need}, but the loader started none with PSCI CPU_ON: seL4's boot core waits "
                       "for them in init_kernel forever, silently", source)
    problems = []
    if obs.get("boot_tpidr_el1", 0) != 0:
        problems.append(f"the boot core entered with TPIDR_EL1 = {hx(obs['boot_tpidr_el1'])}, not 0 "
                        "(seL4 reads the logical core id there)")
    if len(entered) < n - 1:
        missing = [c for c in cores if c.get("state") != "entered"]
        where = "; ".join(f"core with CPU_ON context {hx(c['context'])} (target {hx(c['target'])}) "
                          f"{c['state']} at PC {hx(c['last_pc'])} ({c['last_pc_symbol']})" for c in missing)
        problems.append(f"{need}, but only {1 + len(entered)} reached its entry"
                        + (f": {where}" if where else f" ({len(cores)} started with PSCI CPU_ON)"))
    ids = set()
    for c in entered:
        who = c.get("who") or f"core {c['tpidr_el1']} (CPU_ON target {hx(c['target'])})"
        for r, (got, want) in enumerate(zip(c["x"], obs["x"])):
            if got != want:
                problems.append(f"{who} entered with {REGISTER_NAMES[r]} = {hx(got)}, the boot core with "
                                f"{hx(want)}")
        if c["el"] != obs["el"]:
            problems.append(f"{who} entered at EL{c['el']}, the boot core at EL{obs['el']}")
        if not c["sctlr"] & 1:
            problems.append(f"{who} entered with the MMU off (SCTLR {hx(c['sctlr'])})")
        if not 1 <= c["tpidr_el1"] < n or c["tpidr_el1"] in ids:
            problems.append(f"{c.get('who') or 'a core (CPU_ON target ' + hx(c['target']) + ')'} entered with TPIDR_EL1 = "
                            f"{hx(c['tpidr_el1'])}: seL4 needs each core's logical id there, 1..{n - 1} "
                            "for the others, each once")
        ids.add(c["tpidr_el1"])
    if problems:
        return Finding("cores", "fail", "; ".join(problems), source)
    return Finding("cores", "pass",
                   f"{n} cores: the boot core (TPIDR_EL1 0) and cores {', '.join(str(i) for i in sorted(ids))} "
                   f"entered at EL{obs['el']} with the same x0..x5, MMU on", source)


def judge_entry_state(inp, el, sctlr, tcr, mair, source):
    problems = []
    if el != inp.el:
        problems.append(f"entered at EL{el}, but this is an {'EL2 (hyp)' if inp.hyp else 'EL1'} kernel "
                        f"that must be entered at EL{inp.el}")
    if not sctlr & 1:
        problems.append(f"the MMU is off (SCTLR_EL{el} = {hx(sctlr)}): seL4 is linked at "
                        f"{hx(inp.kernel.entry)} and must be entered with its window mapped")
    if (mair & 0xff) != 0x00:
        problems.append(f"MAIR attr 0 = {hx(mair & 0xff)}, seL4 uses index 0 as Device-nGnRnE (0x00)")
    if ((mair >> 32) & 0xff) != 0xff:
        problems.append(f"MAIR attr 4 = {hx((mair >> 32) & 0xff)}, seL4 uses index 4 as Normal WB (0xff)")
    if inp.hyp:
        if el == 2 and tcr != TCR_EL2_SEL4_HYP:
            problems.append(f"TCR_EL2 = {hx(tcr)}, but seL4's checkTCR_EL2 requires exactly "
                            f"{hx(TCR_EL2_SEL4_HYP)} (\"CPU init failed\", before its UART is mapped)")
    elif el == 1:
        t0sz, t1sz = tcr & 0x3f, (tcr >> 16) & 0x3f
        tg1, asid16 = (tcr >> 30) & 3, (tcr >> 36) & 1
        if t0sz != 16 or t1sz != 16:
            problems.append(f"TCR_EL1 T0SZ/T1SZ = {t0sz}/{t1sz}, seL4 needs 16/16 (48-bit VAs)")
        if tg1 != 2 or (tcr >> 14) & 3 != 0:
            problems.append(f"TCR_EL1 = {hx(tcr)} does not select 4 KiB granules for TTBR0 and TTBR1")
        if not asid16:
            problems.append(f"TCR_EL1.AS = 0: seL4 puts 16-bit ASIDs in TTBR0[63:48]")
    if problems:
        return Finding("entry_state", "fail", "; ".join(problems), source)
    return Finding("entry_state", "pass",
                   f"EL{el}, MMU on (SCTLR {hx(sctlr)}), TCR {hx(tcr)}, MAIR {hx(mair)}", source)


def judge_rootserver(inp, words, source, stores=None):
    """rootserver is .boot.bss: zero in the ELF, filled by init_kernel.
    stores: the stores that changed it (emulation), None when unknown."""
    if words is None:
        return _rootserver_unobserved(inp, source)
    written = [(ROOTSERVER_FIELDS[i] if i < len(ROOTSERVER_FIELDS) else f"word {i}", i * 8, w)
               for i, w in enumerate(words) if w]
    if not written:
        return Finding("rootserver", "pass", f"rootserver ({len(words) * 8} bytes) untouched", source)
    what = ", ".join(f"{name} (+{off:#x}) = {hx(w)}" for name, off, w in written)
    if stores is not None and not stores:
        return Finding("rootserver", "fail",
                       f"seL4's rootserver at {hx(inp.kernel.symbols['rootserver'][0])} is not zero at the "
                       f"kernel's entry ({what}), and no store of the loader put it there: the kernel's .bss "
                       "was not zeroed", source)
    by = ""
    if stores:
        s = stores[0]
        by = f"; written by the loader at PC {hx(s['pc'])} ({s['pc_symbol']})"
    extra = ""
    if any(name == "extra_bi" for name, _, _ in written):
        extra = ("; with extra_bi non-zero, seL4's create_rootserver_objects asserts "
                 "'rootserver_mem.start == rootserver_mem.end'")
    return Finding("rootserver", "fail",
                   f"the loader wrote into seL4's rootserver at {hx(inp.kernel.symbols['rootserver'][0])}: "
                   f"{what}{by}. seL4 fills rootserver itself in init_kernel; a loader must leave it "
                   f"zero{extra}", source, {"written": [[n, o, w] for n, o, w in written]})


# --- emulation-side observations ---------------------------------------------

def _segment_problem(role, segs, inp_elf):
    for s in segs:
        if not s.get("in_ram", False):
            return (f"{role} segment {s['index']} at paddr [{hx(s['paddr'])}, {hx(s['paddr'] + s['memsz'])}) "
                    "is outside RAM")
        if s.get("differ"):
            return (f"{role} segment {s['index']}: {s['differ']} of {hx(s['filesz'])} bytes differ from the "
                    f"ELF, first at paddr {hx(s['first_diff_paddr'])} ({s['first_diff_symbol']}): "
                    f"{hx(s['first_diff_got'])} instead of {hx(s['first_diff_want'])}")
        if s.get("bss_nonzero"):
            return (f"{role} .bss is not zero: {s['bss_nonzero']} bytes of [{hx(s['paddr'] + s['filesz'])}, "
                    f"{hx(s['paddr'] + s['memsz'])}) are not, first at paddr {hx(s['first_nonzero_paddr'])} "
                    f"({s['first_nonzero_symbol']}) = {hx(s['first_nonzero_value'])}")
    return None


def judge_emu(inp, report):
    """Findings from emu-check's JSON report (its "observations")."""
    obs = report.get("observations", {})
    out = []
    if not obs.get("reached_kernel"):
        out.append(Finding("kernel_reached", "fail",
                           f"the kernel's entry {hx(inp.kernel.entry)} was never reached: {report.get('message')}",
                           "emulation"))
        return out
    out.append(Finding("kernel_reached", "pass",
                       f"the loader branched to the kernel's entry {hx(obs['entry_pc'])} after "
                       f"{report.get('instructions')} instructions", "emulation"))
    src = f"emulation, at the branch to {hx(obs['entry_pc'])}"
    x = obs["x"]
    out.append(judge_entry_state(inp, obs["el"], obs["sctlr"], obs["tcr"], obs["mair"], src))
    w = obs.get("kernel_window", {})
    if "walk_error" in w:
        out.append(Finding("kernel_window", "fail", f"the kernel window cannot be walked: {w['walk_error']}", src))
    elif not w.get("entry_mapped"):
        out.append(Finding("kernel_window", "fail",
                           f"{w['table']} does not map the kernel's entry {hx(inp.kernel.entry)}", src))
    else:
        problems = []
        if w["mair_attr"] != 0xff:
            problems.append(f"the kernel window is mapped as {w['memory_type']} (AttrIndx {w['attrindx']}, MAIR "
                            f"attr {hx(w['mair_attr'])}), not Normal write-back: seL4's code, stack and data "
                            "would run uncached (and unaligned accesses fault on Device memory)")
        if not w["executable"]:
            problems.append("the kernel window is not executable at the kernel's EL (PXN/XN set)")
        if w["covered"] < w["image_va_end"] - w["image_va_start"]:
            problems.append(f"only {hx(w['covered'])} of the {hx(w['image_va_end'] - w['image_va_start'])}-byte "
                            "kernel image is mapped")
        if problems:
            out.append(Finding("kernel_window", "fail", "; ".join(problems), src))
        else:
            out.append(Finding("kernel_window", "pass",
                               f"{w['table']} maps the kernel image Normal WB, executable", src))
    p = _segment_problem("kernel", obs.get("kernel_segments", []), inp.kernel)
    stores = obs.get("kernel_stores", [])
    if p and stores:
        s = stores[0]
        p += (f"; the loader's store of {hx(s['value'])} ({s['size']} bytes) at {hx(s['paddr'])} "
              f"({s['kernel_symbol']}) from PC {hx(s['pc'])} ({s['pc_symbol']}) is still there")
    out.append(Finding("kernel_loaded", "fail" if p else "pass",
                       p or "kernel image byte-identical to its ELF at its physical address, .bss zero", src))
    rs = obs.get("rootserver")
    words = None
    if rs:
        b = rs["bytes"]
        words = [int.from_bytes(bytes(b[i:i + 8]), "little") for i in range(0, len(b), 8)]
    out.append(judge_rootserver(inp, words, src, (rs or {}).get("stores", []) if rs else None))
    out += judge_registers(inp, x, src)
    out.append(judge_cores(inp, obs, src))
    if x[0] % PAGE == 0:
        p = _segment_problem("root task", obs.get("user_segments", []), inp.roottask)
        out.append(Finding("user_loaded", "fail" if p else "pass",
                           p or f"root task byte-identical at x0 + (vaddr - {hx(inp.user_vmin)}), .bss zero",
                           src))
    d = obs.get("dtb", {})
    if d.get("addr") and d.get("size"):
        if not d.get("in_ram"):
            out.append(Finding("dtb", "fail", f"x4 = {hx(d['addr'])} is not in RAM", src))
        elif d.get("magic") != 0xd00dfeed or not d.get("header_ok"):
            out.append(Finding("dtb", "fail", f"no valid DTB at x4 = {hx(d['addr'])} (magic {hx(d.get('magic', 0))})",
                               src))
        elif d["totalsize"] > d["size"]:
            out.append(Finding("dtb", "warn", f"x5 = {d['size']} is smaller than the DTB's totalsize "
                               f"{d['totalsize']}: seL4 copies only x5 bytes to the root task", src))
    return out


# --- QEMU + GDB observations ---------------------------------------------------

def fault_in_serial(serial):
    """The root task's first fault report (seL4's or the stand-in's) as
    {kind, addr, pc, thread, line}, or None (bootcheck.kernel.roottask_failures reads
    every form)."""
    f = roottask_failures.find(serial)
    if f is None or not f.fault.get("type") or f.kind in ("kernel_halted", "boot_failed"):
        return None
    d = f.fault
    kind = d.get("kind") or roottask_failures.describe_fault(d).split(" at address")[0]
    return {"kind": kind, "addr": d.get("addr"), "status": d.get("status"), "pc": d.get("pc"),
            "thread": d.get("thread", "?"), "line": f.words}


def _release_words(inp):
    """'seL4 16.0.0 MCS' (as read from the kernel ELF), for sentences whose
    rule depends on the release."""
    t = inp.target
    return f"{t.name}{' MCS' if t.mcs else ''}"


def judge_roottask_runs(inp, serial, entry_reached, symbolize, watched=None, budget=None):
    """Rule 16 from the serial log: every way seL4 (or the stand-in) reports
    a user-level failure (bootcheck.kernel.roottask_failures), with the ABI
    mismatch that explains it when the kernel's target description and the
    root task's own words show one. watched: seconds the root task was
    watched after its entry (None: to its end, as for bootcheck's own root
    task, within `budget` seconds)."""
    own = roottask_failures.prints_our_grammar(inp.roottask_path)
    failure = roottask_failures.find(serial, own_roottask=own)
    src = "QEMU serial"
    if failure is not None:
        failure.diagnosis = roottask_failures.diagnose(failure, serial, inp.target, own)
        f = failure.fault
        where = f" at PC {hx(f['pc'])} ({symbolize(f['pc'])})" if f.get("pc") is not None else ""
        if failure.kind in ("no_fault_handler", "double_fault"):
            what = (f"the root task faulted: {roottask_failures.describe_fault(f)}{where}; it has no fault "
                    f"handler, so {_release_words(inp)} stopped it; seL4 said \"{failure.words}\"")
        elif failure.kind == "standin_fault":
            addr = f" address {hx(f['addr'])}" if f.get("addr") is not None else ""
            what = f"the root task faulted: {f['kind']}{addr}{where}; the stand-in said \"{failure.words}\""
        elif failure.kind == "kernel_halted":
            what = f"{_release_words(inp)} halted while the root task ran: \"{failure.words}\""
        else:    # boot_failed
            what = f"the root task reported a failure: \"{failure.words}\""
        if failure.diagnosis:
            what += f". Diagnosis: {failure.diagnosis}"
        return Finding("roottask_runs", "fail", what, src, {"fault": failure.as_dict()})
    if not entry_reached:
        return None
    if roottask_failures.silent(serial):
        during = f" in the {watched:g} s watched after its entry at EL0" if watched else ""
        diag = roottask_failures.diagnose(None, serial, inp.target, own)
        return Finding("roottask_runs", "fail",
                       f"the root task printed nothing and never halted{during}"
                       + (f". Diagnosis: {diag}" if diag else ""), src, {"fault": {"kind": "silent"}})
    if own and not roottask_failures.finished(serial):
        lines = [l.strip() for l in serial.splitlines() if l.strip()]
        return Finding("roottask_runs", "fail",
                       f"the root task (bootcheck's) did not finish{f' in the {budget:g} s budget' if budget else ''}: "
                       f"no boot verdict and no halt; last line \"{lines[-1] if lines else ''}\"", src,
                       {"fault": {"kind": "unfinished"}})
    if watched:
        return Finding("roottask_runs", "pass", f"no fault or failure reported in the {watched:g} s watched after "
                       "the root task started", src)
    return Finding("roottask_runs", "pass", "no fault or failure reported; the root task ran to its end", src)


def judge_qemu(inp, run, symbolize):
    """Findings from a QEMU + GDB run of the contract plan (bootcheck.check.checkrun)."""
    out = []
    r = run.result
    stops = {s["name"]: s for s in r.get("stops", [])}
    serial = run.serial
    entry = stops.get("kernel entry")
    src = "QEMU + GDB at the kernel's entry"
    if "error" in r:
        out.append(Finding("kernel_reached", "fail", f"the gdb side failed: {r['error']}", "QEMU + GDB"))
        return out
    if not entry or not entry.get("reached"):
        out.append(Finding("kernel_reached", "fail", never_reached_sentence(inp, r.get("end", {}), serial),
                           "QEMU + GDB"))
        return out
    out.append(Finding("kernel_reached", "pass", f"the loader branched to the kernel's entry "
                       f"{hx(inp.kernel.entry)}", src))
    v = entry["let"]
    x = [v[f"x{i}"] for i in range(6)]
    out.append(judge_entry_state(inp, entry["el"], v["sctlr"], v["tcr"], v["mair"], src))
    if "rs0" in v:
        words = [v[f"rs{i}"] for i in range(len(ROOTSERVER_FIELDS))]
        out.append(judge_rootserver(inp, words, src))
    if inp.nodes > 1 and "cpus" in entry:
        # The same rule as in emulation, over what each CPU (gdb thread) had.
        others = [{"state": "entered", "who": f"CPU {int(t) - 1} (gdb thread {t})",
                   "x": [c.get(f"x{i}") for i in range(6)], "el": c["el"], "sctlr": c.get("sctlr", 0),
                   "tpidr_el1": c.get("tpidr_el1", -1)}
                  for t, c in entry["cpus"].items() if t != "1"]
        out.append(judge_cores(inp, {"cores": others, "x": x, "el": entry["el"],
                                     "boot_tpidr_el1": v.get("tpidr_el1", 0), "qemu_cpus": True},
                               "QEMU + GDB at the kernel's entry, every CPU"))
    out += judge_registers(inp, x, src)
    # init_kernel and its outcome on the serial line (any release's words: bootcheck.kernel.bootlog).
    init = stops.get("init_kernel")
    log = bootlog.parse(serial)
    booted = log.booted
    error = log.errors[0] if log.errors else None
    if booted:
        out.append(Finding("kernel_init", "pass", f"{_release_words(inp)} printed \"{bootlog.BOOTED}\""
                           + _boot_log_note(inp, log), "QEMU serial"))
    elif error:
        out.append(Finding("kernel_init", "fail", f"seL4 refused the hand-off: \"{error}\"", "QEMU serial"))
    elif init is not None and not init.get("reached"):
        out.append(Finding("kernel_init", "fail", "the kernel never reached init_kernel; "
                           + end_state_sentence(r.get("end", {}), serial), "QEMU + GDB"))
    else:
        ended = getattr(run, "ended_by", None)
        out.append(Finding("kernel_init", "fail", "seL4 did not finish booting"
                           + (f" (the boot ended: {ended})" if ended else "") + "; "
                           + end_state_sentence(r.get("end", {}), serial), "QEMU + GDB"))
    uc = stops.get("restore_user_context")
    ue = stops.get("root task entry")
    if not (uc and uc.get("reached")) and ue and ue.get("reached"):
        # No restore_user_context stop (a stripped kernel; an SMP one keeps
        # ksCurThread per core): the first context is what the root task's
        # first instruction sees.
        out.append(_user_context_at_entry(inp, x, ue))
    if uc and uc.get("reached"):
        u = uc["let"]
        problems = []
        if u.get("elr") != x[3]:
            problems.append(f"ELR = {hx(u.get('elr', 0))}, not x3 = {hx(x[3])}")
        if u.get("spsr", 1) & 0xf:
            problems.append(f"SPSR = {hx(u.get('spsr', 0))} is not EL0t")
        out.append(Finding("user_context", "fail" if problems else "pass",
                           "; ".join(problems) or f"the root task's first context: ELR = {hx(u['elr'])}, EL0t, "
                           f"x0 = BootInfo {hx(u.get('ux0', 0))}", "QEMU + GDB at restore_user_context"))
    if ue and ue.get("reached"):
        out.append(Finding("roottask_entry", "pass" if ue["el"] == 0 else "fail",
                           f"the root task's entry {hx(ue['pc'])} ran at EL{ue['el']}",
                           "QEMU + GDB at the root task's entry"))
    elif booted:
        out.append(Finding("roottask_entry", "fail", f"the root task's entry {hx(inp.roottask.entry)} never ran "
                           "at EL0; " + end_state_sentence(r.get("end", {}), serial), "QEMU + GDB"))
    runs = judge_roottask_runs(inp, serial, bool(ue and ue.get("reached")), symbolize,
                               getattr(run, "watched", None), getattr(run, "budget", None))
    if runs is not None:
        out.append(runs)
    return out


def _boot_log_note(inp, log):
    """A word on the boot log's form when it is not the one the kernel ELF's
    release prints (a stand-in or a patched kernel)."""
    agrees = log.agrees_with(inp.target.release)
    if agrees is False:
        return f" (its boot log uses seL4 {log.form()}'s words)"
    return ""


def _user_context_at_entry(inp, x, ue):
    """user_context judged at the root task's first instruction: PC = x3,
    EL0, x0 = the BootInfo address seL4 derives from x0..x5 (§4.1)."""
    bootinfo = facts.user_layout("u", x, inp.hyp)["u.bootinfo"]
    v = ue.get("let", {})
    problems = []
    if ue.get("pc") != x[3]:
        problems.append(f"PC = {hx(ue.get('pc', 0))}, not x3 = {hx(x[3])}")
    if ue.get("el") != 0:
        problems.append(f"it runs at EL{ue.get('el')}, not EL0")
    if "ux0" in v and v["ux0"] != bootinfo:
        problems.append(f"x0 = {hx(v['ux0'])}, not the BootInfo address {hx(bootinfo)}")
    where = "QEMU + GDB at the root task's first instruction"
    if problems:
        return Finding("user_context", "fail", "; ".join(problems), where)
    return Finding("user_context", "pass",
                   f"the root task's first context, seen at its first instruction: PC = x3 = {hx(x[3])}, EL0, "
                   f"x0 = BootInfo {hx(v.get('ux0', bootinfo))}", where)


def end_state_sentence(end, serial):
    parts = []
    if "pc" in end:
        parts.append(f"last PC {hx(end['pc'])} at EL{end.get('el', '?')}")
        for el in (1, 2):
            if f"ESR_EL{el}" in end and end[f"ESR_EL{el}"]:
                parts.append(f"ESR_EL{el} {hx(end[f'ESR_EL{el}'])} ({end.get(f'ESR_EL{el}_decoded', '')}), "
                             f"ELR_EL{el} {hx(end.get(f'ELR_EL{el}', 0))}, FAR_EL{el} {hx(end.get(f'FAR_EL{el}', 0))}")
                break
    lines = [l.strip() for l in serial.splitlines() if l.strip()]
    parts.append(f"last serial line: \"{lines[-1]}\"" if lines else "no serial output")
    return "; ".join(parts)


def never_reached_sentence(inp, end, serial):
    return (f"the kernel's entry {hx(inp.kernel.entry)} was never reached: " + end_state_sentence(end, serial))


def diagnosis(findings):
    """The first broken link of the chain (a failure), or None. Give it the
    summarized findings, so the line carries what each side saw."""
    fails = sorted((f for f in findings if f.status == "fail"), key=lambda f: f.order)
    return fails[0] if fails else None


# Rules where each side sees something the other cannot (the emulator: the
# last PC and loader symbol, each core's CPU_ON; QEMU: the decoded
# ESR/ELR/FAR, what each CPU really had).
MERGED_RULES = {"kernel_reached", "cores"}


def summarize(findings):
    """One finding per rule: a failure on any side wins, then a warning. When
    both sides saw a failure in different words (say, the emulator's last PC
    and QEMU's decoded ESR), the second is kept beside the first."""
    rank = {"fail": 0, "warn": 1, "pass": 2, "not_observed": 3}
    best = {}
    for f in findings:
        b = best.get(f.rule)
        if b is None or rank[f.status] < rank[b.status]:
            best[f.rule] = Finding(f.rule, f.status, f.sentence, f.source, dict(f.details))
        elif (f.rule in MERGED_RULES and f.status == "fail" == b.status and f.sentence != b.sentence
              and f.source not in b.source):
            b.sentence += f" [{f.source}: {f.sentence}]"
            b.source += f"; {f.source}"
    return [best[name] for name, _ in CHAIN if name in best]


# What a rule needs that a run may lack, and how to give it.
GIVE_KERNEL = "give KERNEL=<unstripped kernel.elf>"


def complete(summary, inp):
    """Every rule of the chain, in order: the summarized findings, and a
    `not_observed` finding (saying why, and what would let it be judged) for
    each rule no side could judge. No rule vanishes from a verdict."""
    have = {f.rule: f for f in summary}
    broken = diagnosis(summary)
    out = []
    for name, what in CHAIN:
        if name in have:
            out.append(have[name])
            continue
        if broken is not None and broken.order < CHAIN_ORDER[name]:
            out.append(Finding(name, "not_observed",
                               f"not judged: the boot chain broke before it, at link {broken.order + 1} "
                               f"({broken.rule})", "", {"why": "earlier link broken"}))
        elif name == "rootserver":
            out.append(_rootserver_unobserved(inp, ""))
        else:
            out.append(Finding(name, "not_observed", f"not observed: neither side saw {what}", "",
                               {"why": f"neither side saw {what}"}))
    return out


def _rootserver_unobserved(inp, source):
    if inp.target.stripped:
        return Finding("rootserver", "not_observed",
                       "not observed: the image's kernel is stripped (no rootserver symbol), so where seL4's "
                       f"rootserver lies is unknown; {GIVE_KERNEL}", source,
                       {"why": "the image's kernel is stripped", "needs": GIVE_KERNEL})
    return Finding("rootserver", "not_observed",
                   "not observed: the kernel has no rootserver symbol (it is not seL4, or not one that keeps "
                   "rootserver_mem_t rootserver)", source, {"why": "the kernel has no rootserver symbol"})


def incomplete_line(findings):
    """The INCOMPLETE verdict for findings without a failure but with rules
    not observed (None when every rule was judged)."""
    missing = [f for f in findings if f.status == "not_observed"]
    if not missing or any(f.status == "fail" for f in findings):
        return None
    links = ", ".join(f"{f.order + 1} ({f.rule})" for f in missing)
    whys, needs = [], []
    for f in missing:
        why, need = f.details.get("why", "not observed"), f.details.get("needs")
        if why not in whys:
            whys.append(why)
        if need and need not in needs:
            needs.append(need)
    return (f"bootcheck: INCOMPLETE: link{'s' if len(missing) > 1 else ''} {links} not observed: "
            + "; ".join(whys) + ("; " + "; ".join(needs) if needs else ""))
