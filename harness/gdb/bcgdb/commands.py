"""Helper commands for the interactive session (`make debug`):
handoff, pt-walk VA, bootinfo, el, serial, where, bc-continue.

Commands that need a particular stop (handoff at the kernel's entry,
bootinfo at the root task's) first say where the CPU is and how to get
there when it is not at that stop, instead of decoding registers that do not
hold what they would mean there."""

import gdb

from . import esr, pagetable, rv, stage, target
from .expr import ExprError

# The words and slot regions `bootinfo` prints, in this order; their offsets
# come from the ABI table for the kernel's release and configuration
# (targets/abi/sel4-abi.toml: MCS moves `untyped` and `untypedList` down).
BOOTINFO_WORDS = ["extraLen", "nodeID", "numNodes", "numIOPTLevels", "ipcBuffer"]
BOOTINFO_REGIONS = ["empty", "sharedFrames", "userImageFrames", "userImagePaging", "ioSpaceCaps",
                    "extraBIPages", "schedcontrol", "untyped"]


def current_el():
    return (target.register("cpsr") >> 2) & 3


def regime(va):
    el = current_el()
    if el == 2:
        return "TTBR0_EL2", target.register("TCR_EL2") & 0x3f, target.register("TTBR0_EL2"), \
            target.register("MAIR_EL2")
    name, txsz = pagetable.select_regime(va, target.register("TCR_EL1"), 1)
    return name, txsz, target.register(name), target.register("MAIR_EL1")


def walk(va):
    name, txsz, ttbr, mair = regime(va)
    phys = lambda pa: int.from_bytes(target.read_physical(pa, 8), "little")  # noqa: E731
    return pagetable.walk(phys, va, ttbr, txsz, name), mair


def read_va(va, size):
    """User or kernel memory by VA: through gdb, else through our own walk."""
    try:
        return int.from_bytes(target.read_virtual(va, size), "little")
    except ExprError:
        w, _ = walk(va)
        if w.pa is None:
            raise ExprError(f"0x{va:x} is not mapped: {w.fault}")
        return int.from_bytes(target.read_physical(w.pa, size), "little")


class Handoff(gdb.Command):
    """handoff: x0..x5 at the kernel's _start, decoded, against the values
    computed from the ELF files (bootcheck.kernel.expect)."""

    def __init__(self, expected, session):
        super().__init__("handoff", gdb.COMMAND_USER)
        self.expected = expected      # callable -> [x0..x5] or None
        self.session = session

    def invoke(self, arg, from_tty):
        riscv = self.session.arch == "riscv64"
        hint = stage.handoff_hint(self.session.where(), self.session.kernel_entry, "a" if riscv else "x")
        if hint is not None and arg.strip() != "anyway":
            print(hint)
            return
        if riscv:
            rv.handoff(self.expected, self.session.inputs)
            return
        x = [target.register(f"x{i}") for i in range(6)]
        want = self.expected()
        names = ["ui_p_reg_start", "ui_p_reg_end (exclusive)", "pv_offset", "v_entry",
                 "dtb_addr_p", "dtb_size (low 32 bits used)"]
        for i in range(6):
            mark = "" if want is None else ("  ok" if x[i] == want[i] else f"  MISMATCH: expected 0x{want[i]:x}")
            print(f"x{i} = 0x{x[i]:016x}  {names[i]}{mark}")
        m64 = (1 << 64) - 1
        print(f"user image: phys [0x{x[0]:x}..0x{x[1]:x}) = {(x[1] - x[0]) // 4096} pages, "
              f"virt [0x{(x[0] - x[2]) & m64:x}..0x{(x[1] - x[2]) & m64:x}), entry 0x{x[3]:x}")
        bi = ((x[1] - x[2]) & m64) + 0x1000
        print(f"root task will get: IPC buffer 0x{bi - 0x1000:x}, BootInfo 0x{bi:x} (x0 at EL0)")
        if x[5] & 0xffffffff and x[4]:
            try:
                magic = int.from_bytes(target.read_physical(x[4], 4), "big")
                print(f"DTB: [0x{x[4]:x}..0x{x[4] + (x[5] & 0xffffffff):x}) magic 0x{magic:08x}"
                      + (" (FDT)" if magic == 0xd00dfeed else " (NOT an FDT)"))
            except ExprError as e:
                print(f"DTB: unreadable: {e}")
        else:
            print("DTB: none (x4/x5 = 0)")
        print(f"EL{current_el()}, SCTLR.M={target.register('SCTLR' if current_el() == 1 else 'SCTLR_EL2') & 1}")


class PtWalk(gdb.Command):
    """pt-walk VA: translate VA through the current stage-1 tables, level by
    level, with the leaf's attributes. On RISC-V: through Sv39 from satp,
    each level's V R W X U G A D; without VA, the kernel window."""

    def __init__(self, session):
        super().__init__("pt-walk", gdb.COMMAND_USER)
        self.session = session

    def invoke(self, arg, from_tty):
        if self.session.arch == "riscv64":
            va = int(gdb.parse_and_eval(arg)) & ((1 << 64) - 1) if arg.strip() else None
            rv.pt_walk(va, self.session.kernel_ranges)
            return
        if not arg.strip():
            print("pt-walk: give a VA (pt-walk $pc, pt-walk 0x400000)")
            return
        va = int(gdb.parse_and_eval(arg)) & ((1 << 64) - 1)
        w, mair = walk(va)
        print(f"VA 0x{va:x} via {w.ttbr_name}")
        for s in w.steps:
            print(f"  L{s.level} table 0x{s.table:x}[{s.index}] = 0x{s.descriptor:016x}")
        if w.pa is None:
            print(f"  -> {w.fault}")
            return
        kind = {1 << 30: "1 GiB block", 2 << 20: "2 MiB block", 4096: "4 KiB page"}[w.size]
        print(f"  -> PA 0x{w.pa:x} ({kind})")
        print("  " + ", ".join(f"{k}={v}" for k, v in w.attributes(mair).items()))


class BootInfo(gdb.Command):
    """bootinfo [VA]: the seL4_BootInfo at VA (default x0, at root-task entry)."""

    def __init__(self, session):
        super().__init__("bootinfo", gdb.COMMAND_USER)
        self.session = session

    def invoke(self, arg, from_tty):
        reg = "a0" if self.session.arch == "riscv64" else "x0"
        if not arg:
            hint = stage.bootinfo_hint(self.session.where(), self.session.roottask_entry,
                                       self.session.bootinfo_va(), reg[0])
            if hint is not None:
                print(hint)
                return
        va = int(gdb.parse_and_eval(arg or f"${reg}")) & ((1 << 64) - 1)
        read = rv.read_va if self.session.arch == "riscv64" else read_va
        layout, about = self.session.bootinfo_layout()
        print(f"seL4_BootInfo at 0x{va:x} ({about})")
        for name in BOOTINFO_WORDS:
            print(f"  {name:24} 0x{read(va + layout[name], 8):x}")
        for name in BOOTINFO_REGIONS:
            if name not in layout:
                continue
            start, end = read(va + layout[name], 8), read(va + layout[name] + 8, 8)
            print(f"  {name:24} [0x{start:x}, 0x{end:x})  {end - start} caps")
        print(f"  {'initThreadCNodeSizeBits':24} {read(va + layout['initThreadCNodeSizeBits'], 8)}")
        start, end = read(va + layout["untyped"], 8), read(va + layout["untyped"] + 8, 8)
        for i in range(min(end - start, 4)):
            paddr = read(va + layout["untypedList"] + 16 * i, 8)
            bits = read(va + layout["untypedList"] + 16 * i + 8, 2)
            print(f"  untypedList[{i}]  paddr 0x{paddr:x} sizeBits {bits & 0xff} "
                  f"{'device' if bits >> 8 else 'RAM'}")
        if end - start > 4:
            print(f"  ... {end - start - 4} more untypeds")


class El(gdb.Command):
    """el: current exception level, stack pointer selection, DAIF, and the
    syndrome registers of the EL that takes exceptions from here. On RISC-V:
    the privilege level (priv S (1)), sstatus, scause/stval in words, sepc."""

    def __init__(self, session):
        super().__init__("el", gdb.COMMAND_USER)
        self.session = session

    def invoke(self, arg, from_tty):
        if self.session.arch == "riscv64":
            rv.el()
            return
        cpsr = target.register("cpsr")
        el = (cpsr >> 2) & 3
        print(f"EL{el}{'h' if cpsr & 1 else 't'} (CPSR 0x{cpsr:x}, DAIF {(cpsr >> 6) & 0xf:04b})")
        for n in ((1, 2) if el == 2 else (1,)):
            if not target.has_register(f"ESR_EL{n}"):
                continue
            e = target.register(f"ESR_EL{n}")
            print(f"ESR_EL{n} 0x{e:x}: {esr.describe(e)}; ELR_EL{n} 0x{target.register(f'ELR_EL{n}'):x}"
                  f" FAR_EL{n} 0x{target.register(f'FAR_EL{n}'):x}")


class Serial(gdb.Command):
    """serial [N]: the last N (default 15) lines of the guest's serial output."""

    def __init__(self, path):
        super().__init__("serial", gdb.COMMAND_USER)
        self.path = path

    def invoke(self, arg, from_tty):
        with open(self.path, errors="replace") as f:
            lines = f.read().replace("\r", "").splitlines()
        for line in lines[-int(arg or 15):]:
            print(f"| {line}")


class Session:
    """What the commands know about this session's images: where each one's
    code lies, the kernel's and the root task's entries, the serial log."""

    def __init__(self, images, kernel_entry, roottask_entry, serial_path, expected, targets, arch="aarch64",
                 kernel_path=None, roottask_path=None, kernel_ranges=()):
        self.arch = arch
        self.kernel_path, self.roottask_path = kernel_path, roottask_path
        self.kernel_ranges = list(kernel_ranges)   # the kernel's virtual [lo, hi) (pt-walk's window)
        self._inputs = None
        self.images = images
        self.kernel_entry = kernel_entry
        self.roottask_entry = roottask_entry
        self.serial_path = serial_path
        self.expected = expected          # callable -> [x0..x5] or None
        self.targets = targets            # bc-continue name -> (address, stages it is ahead of)

    def booted(self):
        try:
            with open(self.serial_path, errors="replace") as f:
                return "Booting all finished" in f.read()
        except OSError:
            return False

    def inputs(self):
        """The contract's view of the ELF files (bootcheck.check.contract.Inputs), read once."""
        if self._inputs is None:
            from bootcheck.check import contract
            self._inputs = contract.Inputs.load(self.kernel_path, self.roottask_path)
        return self._inputs

    def bootinfo_layout(self):
        """(field -> byte offset, 'seL4 16.0.0 MCS layout') for the kernel's
        release and configuration, from the ABI table."""
        from bootcheck.kernel.roottask_failures import _abi_tables
        sel4abi = _abi_tables()
        t = self.inputs().target
        release = t.release or None
        try:
            a = sel4abi.abi(release or "13.0.0", mcs=bool(t.mcs), smp=t.cores > 1, arch=t.arch)
        except sel4abi.AbiError:
            a = sel4abi.abi("13.0.0", mcs=bool(t.mcs), smp=t.cores > 1, arch=t.arch)
            release = None
        about = f"seL4 {release or '13.0.0 (release unknown)'}{' MCS' if t.mcs else ''} layout"
        return a.bootinfo, about

    def where(self):
        pc = target.register("pc")
        if self.arch == "riscv64":
            return rv.classify(pc, self.images, self.booted(), symbol_at(pc))
        cpsr = target.register("cpsr")
        el = (cpsr >> 2) & 3
        level = f"EL{el}{'h' if cpsr & 1 else 't'}"
        return stage.classify(pc, el == 0, level, self.images, self.booted(), symbol_at(pc))

    def bootinfo_va(self):
        x = self.expected()
        if x is None:
            return None
        return ((x[1] - x[2]) & ((1 << 64) - 1)) + 0x1000


def symbol_at(pc):
    """'init_kernel+0x14' from gdb's symbol tables, '' when none covers pc."""
    try:
        text = target.quiet(f"info symbol 0x{pc:x}").strip()
    except gdb.error:
        return ""
    if not text or text.startswith("No symbol"):
        return ""
    name = text.split(" in section ")[0]
    if " + " in name:
        base, off = name.split(" + ", 1)
        name = f"{base}+0x{int(off):x}"
    return name


class WhereCmd(gdb.Command):
    """where: the boot stage the CPU is in (loader, kernel boot, root task,
    component NAME), its exception level and the symbol at the PC."""

    def __init__(self, session):
        super().__init__("where", gdb.COMMAND_USER)
        self.session = session

    def invoke(self, arg, from_tty):
        print(self.session.where().line())


class BcContinue(gdb.Command):
    """bc-continue TARGET: run to TARGET, past every other breakpoint:
    kernel (its entry), init_kernel, user-context (restore_user_context),
    roottask (its entry), or a component's name (its entry)."""

    def __init__(self, session):
        super().__init__("bc-continue", gdb.COMMAND_USER)
        self.session = session

    def invoke(self, arg, from_tty):
        name = arg.strip()
        if name.startswith("component "):
            name = name[len("component "):].strip()
        if name not in self.session.targets:
            print(f"bc-continue: unknown target {name!r}; one of: {', '.join(self.session.targets)}")
            return
        address, reachable_from = self.session.targets[name]
        here = self.session.where()
        if here.pc == address:
            print(f"already there: {here.line()}")
            return
        if reachable_from and not here.stage.startswith(reachable_from):
            print(f"already past {name} ({here.stage}: {here.place()}); restart make debug to get there")
            return
        saved = [(b, b.enabled) for b in gdb.breakpoints()]
        for b, _ in saved:
            b.enabled = False
        stop = gdb.Breakpoint(f"*0x{address:x}", temporary=True)
        try:
            gdb.execute("continue")
        except gdb.error as e:
            print(f"bc-continue: the run ended before {name}: {e}")
            return
        finally:
            for b, enabled in saved:
                if b.is_valid():
                    b.enabled = enabled
            if stop.is_valid():
                stop.delete()
        print(self.session.where().line())


def register_all(expected, serial_path, session):
    Handoff(expected, session)
    PtWalk(session)
    BootInfo(session)
    El(session)
    Serial(serial_path)
    WhereCmd(session)
    BcContinue(session)
