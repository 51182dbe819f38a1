"""What kernel a run is about, read once from its ELF: architecture, seL4
release, MCS or not, hyp (EL2) or EL1, how many cores, debug and printing,
each with the evidence it was read from.

Every module that needs one of these facts (the QEMU machine, the contract,
the scenario facts, the LAVA jobs, the test ids) asks `read(path)`; nothing
else re-derives them. The evidence is documented, per release and
configuration, in the team's release-evidence notes and in this module's
tables:

- symbols (an unstripped kernel) decide, debug or not: seL4 14.0 replaced
  the FPU functions (`fpuThreadDelete` -> `fpuRelease`), 15.0 added
  `ksDomScheduleStart` (DomainScheduleSetStart), 16.0 dropped the AArch64
  vector stubs `cur_el_serr`/`lower_el_serr`; MCS kernels have `refill_new`
  (src/kernel/sporadic.c). Per-node state (`ksCurSC`, `ksCurFPUOwner`) is no
  evidence: in an SMP build it lives inside `ksSMP[]`.
- strings (a stripped kernel keeps .rodata) decide for printing builds: the
  boot-log and userError texts that exist only in some releases.
- a kernel with neither (stripped, not a printing build) is not guessed:
  `unknown()` names what cannot be told and why.

A kernel that is not seL4 (our stand-in, a probe) reads as what its symbols
and strings say; the stand-in builds carry the same evidence as the release
and configuration they imitate.
"""

import os
from dataclasses import dataclass, field

from elftools.elf.elffile import ELFFile

from . import elfsyms

UPPER_HALF = 0xffff000000000000     # an EL1 seL4 is linked in the upper half, a hyp one is not
KERNEL_STACK_SIZE = 0x1000          # kernel_stack_alloc: one 4 KiB stack per core
IDLE_TCB_SIZE = 0x800               # ._idle_thread: ksIdleThreadTCB[cores][BIT(seL4_TCBBits = 11)]
RELEASES = ("13.0.0", "14.0.0", "15.0.0", "16.0.0")
MACHINES = {183: "aarch64", 243: "riscv64", 62: "x86_64", 40: "arm"}

# (release, symbols that must be present, symbols that must be absent, the
# architectures the row holds on); the first row that matches decides.
# Functions and plain globals only. 16.0 renamed AArch64's SError vector
# entries (cur_el_serr); on riscv64 15.0 and 16.0 have the same symbol names
# (measured on debug builds of both), so there only a printing build's boot
# texts (RELEASE_STRINGS) tell them apart.
RELEASE_SYMBOLS = (
    ("16.0.0", ("ksDomScheduleStart",), ("cur_el_serr",), ("aarch64",)),
    ("15.0.0", ("ksDomScheduleStart", "cur_el_serr"), (), ("aarch64",)),
    ("14.0.0", ("fpuRelease",), ("ksDomScheduleStart",), None),
    ("13.0.0", ("fpuThreadDelete",), ("fpuRelease",), None),
)
# (release, texts that must be in the loaded bytes, texts that must not).
RELEASE_STRINGS = (
    ("16.0.0", (b"Available phys memory regions",), ()),
    ("15.0.0", (b"Domain Schedule Configure: Invalid domain.",), (b"Available phys memory regions",)),
    ("14.0.0", (b"TCB SetFlags: Truncated message.",), (b"Domain Schedule Configure: Invalid domain.",)),
    ("13.0.0", (b"available phys memory regions", b"  [%lx..%lx]\n"), (b"TCB SetFlags: Truncated message.",)),
)
MCS_SYMBOL = "refill_new"
MCS_STRING = b"SchedContext_Bind: Truncated Message."
DEBUG_SYMBOL, DEBUG_STRING = "_assert_fail", b"seL4 failed assertion"
PRINTING_SYMBOL, PRINTING_STRING = "impl_kvprintf", b"Bootstrapping kernel"
STANDIN_STRING = b"stand-in: "      # the stand-in names itself in every report of its own


@dataclass(frozen=True)
class Target:
    path: str
    kind: str                          # "seL4" or "stand-in" (targets/standin imitating a release)
    arch: str
    e_machine: int
    entry: int
    stripped: bool                     # no .symtab
    release: str | None                # "16.0.0", or None when it cannot be told
    mcs: bool | None
    hyp: bool
    cores: int | None
    debug: bool | None
    printing: bool | None
    evidence: dict = field(default_factory=dict, compare=False)   # fact -> what it was read from

    @property
    def el(self):
        return 2 if self.hyp else 1

    @property
    def nodes(self):
        """Cores to boot: the kernel's, or 1 when they cannot be told (see unknown())."""
        return self.cores or 1

    @property
    def smp(self):
        return self.nodes > 1

    @property
    def release_line(self):
        """'16.0' for sentences ('seL4 16.0'), '?' when unknown."""
        return self.release.rsplit(".", 1)[0] if self.release else "?"

    @property
    def config(self):
        """The configuration's short name, as the project names real builds:
        el1, hyp, smp4, mcs-el1, mcs-hyp, mcs-smp4, hyp-smp4; on riscv64 (no
        hyp): rv64, rv64-mcs, rv64-smp4, rv64-mcs-smp4."""
        if self.arch == "riscv64":
            return "rv64" + ("-mcs" if self.mcs else "") + (f"-smp{self.nodes}" if self.nodes > 1 else "")
        base = "hyp" if self.hyp else "el1"
        if self.nodes > 1:
            base = f"hyp-smp{self.nodes}" if self.hyp else f"smp{self.nodes}"
        return f"mcs-{base}" if self.mcs else base

    def id(self, prefix="sel4"):
        """Test-id / report name: sel4-16.0.0-mcs-el1 (sel4-el1 without a release)."""
        return f"{prefix}-{self.release}-{self.config}" if self.release else f"{prefix}-{self.config}"

    @property
    def name(self):
        """'seL4 16.0.0', 'the stand-in (seL4 13.0.0)', 'seL4 (release unknown)'."""
        rel = f"seL4 {self.release}" if self.release else "seL4 (release unknown)"
        return f"the stand-in ({rel})" if self.kind == "stand-in" else rel

    def describe(self):
        """'seL4 16.0.0 MCS, EL1, 1 core, debug, printing' (unknowns as '?')."""
        rel = f"seL4 {self.release}" if self.release else "seL4 release ?"
        if self.kind == "stand-in":
            rel = f"stand-in for {rel}"
        mcs = {True: " MCS", False: " non-MCS", None: " MCS?"}[self.mcs]
        cores = f"{self.cores} core{'s' if self.cores != 1 else ''}" if self.cores else "cores ?"
        build = ", ".join(w for w, on in (("debug", self.debug), ("printing", self.printing)) if on)
        mode = "riscv64 S-mode" if self.arch == "riscv64" else "hyp (EL2)" if self.hyp else "EL1"
        return (f"{rel}{mcs}, {mode}, {cores}"
                + (f", {build}" if build else "") + (", stripped" if self.stripped else ""))

    def unknown(self):
        """[(fact, why)] for every fact that could not be told."""
        return [(k, self.evidence[k]) for k, v in (("release", self.release), ("mcs", self.mcs),
                                                    ("cores", self.cores)) if v is None]

    def unknown_line(self):
        """One line naming what cannot be told and why, or None."""
        u = self.unknown()
        if not u:
            return None
        return "; ".join(f"{k} cannot be told: {why}" for k, why in u)

    def as_dict(self):
        return {"path": self.path, "kind": self.kind, "arch": self.arch, "release": self.release, "mcs": self.mcs,
                "hyp": self.hyp, "el": self.el, "cores": self.cores, "debug": self.debug,
                "printing": self.printing, "stripped": self.stripped, "config": self.config,
                "id": self.id(), "evidence": dict(self.evidence)}


def _loaded_bytes(elf):
    return b"".join(seg.data() for seg in elf.iter_segments()
                    if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0)


def _release(symbols, data, arch):
    if symbols is not None:
        for release, present, absent, arches in RELEASE_SYMBOLS:
            if arches is not None and arch not in arches:
                continue
            if all(s in symbols for s in present) and not any(s in symbols for s in absent):
                return release, ("symbols " + ", ".join(present)
                                 + (" without " + ", ".join(absent) if absent else ""))
    for release, present, absent in RELEASE_STRINGS:
        if all(s in data for s in present) and not any(s in data for s in absent):
            shown = ", ".join(repr(s.decode()) for s in present)
            return release, f"text {shown} in its loaded bytes"
    if symbols is not None and "ksDomScheduleStart" in symbols:
        return None, (f"symbol ksDomScheduleStart says 15.0 or later; on {arch} only a printing build's boot "
                      "texts tell 15.0 from 16.0, and this kernel has none of them")
    if symbols is not None:
        return None, ("none of seL4 13.0-16.0's release marker symbols (fpuThreadDelete, fpuRelease, "
                      "ksDomScheduleStart, cur_el_serr) nor release-specific texts")
    if PRINTING_STRING not in data:
        return None, ("the kernel is stripped (no .symtab) and has no seL4 boot texts (not a printing "
                      "build); give KERNEL=<unstripped kernel.elf>")
    return None, "the kernel is stripped (no .symtab) and none of the release-specific texts is in it"


def _flag(symbols, data, symbol, text, what):
    """(True/False/None, evidence) from a symbol, else a text of a printing build."""
    if symbols is not None:
        return (symbol in symbols), f"{'symbol' if symbol in symbols else 'no symbol'} {symbol}"
    if text in data:
        return True, f"text {text.decode()!r}"
    if PRINTING_STRING in data:
        return False, f"a printing build without the text {text.decode()!r}"
    return None, (f"the kernel is stripped (no .symtab) and not a printing build, so {what} cannot be read; "
                  "give KERNEL=<unstripped kernel.elf>")


def _idle_tcb_size(arch, release):
    """One idle TCB's bytes: 2^seL4_TCBBits, 11 but on riscv64 13.0 (FPU off
    by default there: 10)."""
    return 0x400 if arch == "riscv64" and (release or "").startswith("13.") else IDLE_TCB_SIZE


def _cores(elf, symbols, idle_tcb_size=IDLE_TCB_SIZE):
    if symbols is not None and "kernel_stack_alloc" in symbols:
        size = symbols["kernel_stack_alloc"][1]
        return max(1, size // KERNEL_STACK_SIZE), f"kernel_stack_alloc holds {size:#x} bytes = 4 KiB per core"
    sec = elf.get_section_by_name("._idle_thread")
    if sec is not None and sec["sh_size"] >= idle_tcb_size:
        return sec["sh_size"] // idle_tcb_size, (f"section ._idle_thread holds {sec['sh_size']:#x} bytes = "
                                                 f"one {idle_tcb_size // 1024} KiB idle TCB per core")
    if symbols is not None:
        return 1, "no kernel_stack_alloc symbol: a single-core kernel"
    return None, ("the kernel is stripped and has no ._idle_thread section; give KERNEL=<unstripped "
                  "kernel.elf>")


def _read(path):
    with open(path, "rb") as f:
        elfsyms.check_tables(f, path)
        elf = ELFFile(f)
        e_machine = elf.header["e_machine"]
        e_machine = {"EM_AARCH64": 183, "EM_RISCV": 243, "EM_X86_64": 62, "EM_ARM": 40}.get(e_machine, e_machine)
        entry = elf.header["e_entry"]
        symbols = elfsyms.symbols(elf)
        data = _loaded_bytes(elf)
        ev = {}
        arch = MACHINES.get(e_machine, f"e_machine {e_machine}")
        ev["arch"] = f"e_machine {e_machine}"
        release, ev["release"] = _release(symbols, data, arch)
        mcs, ev["mcs"] = _flag(symbols, data, MCS_SYMBOL, MCS_STRING, "MCS")
        debug, ev["debug"] = _flag(symbols, data, DEBUG_SYMBOL, DEBUG_STRING, "a debug build")
        if debug is False and DEBUG_STRING in data:     # the stand-in's own assertions
            debug, ev["debug"] = True, f"text {DEBUG_STRING.decode()!r}"
        # seL4's printf, or (a stand-in, a stripped kernel) its first boot line's text
        printing = (symbols is not None and PRINTING_SYMBOL in symbols) or PRINTING_STRING in data
        ev["printing"] = (f"symbol {PRINTING_SYMBOL}" if symbols is not None and PRINTING_SYMBOL in symbols
                          else f"text {PRINTING_STRING.decode()!r} {'present' if printing else 'absent'}")
        hyp = entry < UPPER_HALF
        ev["hyp"] = f"entry {entry:#x} {'below' if hyp else 'in'} the upper half"
        cores, ev["cores"] = _cores(elf, symbols, _idle_tcb_size(arch, release))
        kind = "stand-in" if STANDIN_STRING in data else "seL4"
        ev["kind"] = "text 'stand-in: ' in its loaded bytes" if kind == "stand-in" else "not the stand-in"
        return Target(path=path, kind=kind, arch=arch, e_machine=e_machine, entry=entry, stripped=symbols is None,
                      release=release, mcs=mcs, hyp=hyp, cores=cores, debug=debug, printing=printing,
                      evidence=ev)


_cache = {}


def read(path):
    """The Target of the kernel ELF at path (cached while the file is unchanged)."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_mtime_ns, st.st_size)
    if key not in _cache:
        _cache[key] = _read(path)
    return _cache[key]


def main(argv=None, stdout=None, stderr=None, prog="bootcheck.kernel.target"):
    """`bootcheck describe KERNEL.elf...` (python3 -m bootcheck.kernel.target):
    each kernel's description and evidence; exit 1 if one cannot be read."""
    import sys
    from elftools.common.exceptions import ELFError
    paths = (argv if argv is not None else sys.argv[1:])
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    status = 0
    for p in paths:
        try:
            t = read(p)
        except (OSError, ELFError, elfsyms.ImpossibleTables) as e:
            print(f"{prog}: error: {p}: {e}" if isinstance(e, ELFError) else f"{prog}: error: {e}", file=stderr)
            status = 1
            continue
        print(f"{p}: {t.describe()}  [{t.id()}]", file=stdout)
        for k, v in t.evidence.items():
            print(f"  {k:9} {v}", file=stdout)
        if t.unknown_line():
            print(f"  {t.unknown_line()}", file=stdout)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
