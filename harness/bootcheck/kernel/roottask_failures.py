"""Every way seL4 (and the stand-in) reports that the root task failed, read
from the serial log after `Booting all finished, dropped to user space`, and
the ABI mismatches that explain the usual ones.

The kernel's words (seL4 13.0.0 and 16.0.0 print the same; read at both
tags):

- src/kernel/faulthandler.c print_fault: `vm fault on data|code at address
  A with status S`, `cap fault in send|receive phase at address A`,
  `unknown syscall N`, `user exception N code C`, `Timeout fault for 0xB`
  (MCS), `null fault`, and `unknown fault` for the types it has no words for
  (a debug exception with KernelHardwareDebugAPI, a VCPU fault).
- the same file, around it: without MCS a thread with no fault handler
  double-faults, `Caught <second fault>` / `while trying to handle:` /
  `<the fault>`; with MCS `Found thread has no fault handler while trying to
  handle:` / `<the fault>`; then (debug builds) `in thread 0x.. "name" at
  address PC` (without debug, `at address PC` is glued to the fault line),
  `With stack:` and the stack words.
- src/arch/arm/64/idle.c halt(): `halting...`, then (debug builds)
  `Kernel entry via <reason>` (include/api/debug.h). A root task that asked
  for it printed `Debug halt syscall from user thread 0x.. "name"` first
  (src/api/syscall.c); any other halt while the root task runs is a kernel
  stop (`SysDebugNameThread: cap is not a TCB, halting`, a failed assertion
  `seL4 failed assertion '...' at F:L in function X`, `seL4 called fail at
  ...`, 16.0's `KERNEL INVALID VECTOR ENTRY!`).
- the stand-in: `stand-in: <what> from user thread "name" at pc 0x..,
  address 0x..`.

CATALOGUE lists each report and each diagnosis with the seL4 source it comes
from and the test that proves it on a real broken input.
"""

import re
from dataclasses import dataclass, field

from . import bootlog

HEX = r"(?:0x)?[0-9a-f]+"
# print_fault's words, by the catalogue key of the fault.
FAULT_TEXTS = (
    ("vm_fault", re.compile(rf"vm fault on (?P<access>data|code) at address (?P<addr>{HEX}) with status "
                            rf"(?P<status>{HEX})")),
    ("cap_fault", re.compile(rf"cap fault in (?P<phase>send|receive) phase at address (?P<addr>{HEX})")),
    ("unknown_syscall", re.compile(rf"unknown syscall (?P<number>{HEX})")),
    ("user_exception", re.compile(rf"user exception (?P<number>{HEX})(?: code (?P<code>{HEX}))?")),
    ("timeout_fault", re.compile(r"Timeout fault for 0x(?P<badge>[0-9a-f]+)")),
    ("null_fault", re.compile(r"null fault")),
    ("unknown_fault", re.compile(r"unknown fault")),
)
WHERE = re.compile(rf'in thread 0x[0-9a-f]+ "(?P<thread>[^"]*)" at address (?P<pc>{HEX})')
GLUED_PC = re.compile(rf"at address (?P<pc>{HEX})$")
STANDIN_FAULT = re.compile(r'stand-in: (?P<kind>.+?) from user thread "(?P<thread>[^"]*)" at pc '
                           r'(?P<pc>0x[0-9a-f]+)(?:, address (?P<addr>0x[0-9a-f]+))?')
NO_HANDLER = "Found thread has no fault handler while trying to handle:"
CAUGHT = re.compile(r"^Caught (?P<second>.+)$")
WHILE = "while trying to handle:"
HALTING = "halting..."
REQUESTED_HALT = re.compile(r'^Debug halt syscall from user thread 0x[0-9a-f]+ "(?P<thread>[^"]*)"')
ENTRY_REASON = re.compile(r"Kernel entry via (?P<reason>.+)$")
KERNEL_STOPS = ("seL4 failed assertion", "seL4 called fail at", "KERNEL INVALID VECTOR ENTRY!")
BOOT_FAILED = re.compile(r"^roottask: boot FAILED: (?P<why>.*)$")
INVOCATION_FAILED = re.compile(r"^roottask: invocation failed: (?P<call>(?P<name>[A-Za-z_0-9]+)\(.*?\)) -> "
                               r"(?P<error>seL4_[A-Za-z]+)")
ABI_LINE = re.compile(r"^roottask: sel4\.abi = (?P<release>[0-9./]+) (?P<mcs>mcs|nonmcs) smp=(?P<smp>\d)")
USER_ERROR = re.compile(r"<<seL4\(CPU \d+\) \[(?P<where>[^\]]*)\]: (?P<text>.*?)>>")
# What our root task's own grammar looks like in its loaded bytes
# (roottask/main.c): only a root task that prints it can report `boot FAILED`.
OWN_ROOTTASK_MARKER = b"boot FAILED: %s"

# AArch64 ESR exception classes a user exception can carry (ARM ARM D17.2.37).
ESR_CLASSES = {0x00: "an unknown reason (an undefined instruction)", 0x01: "a trapped WFI/WFE",
               0x07: "an FP/SIMD access trapped", 0x0e: "an illegal execution state",
               0x15: "an SVC", 0x18: "a trapped MSR/MRS/system instruction at EL0",
               0x22: "a misaligned PC", 0x26: "a misaligned SP", 0x2c: "a floating-point exception",
               0x30: "a breakpoint (debug exception)", 0x32: "a software step (debug exception)",
               0x34: "a watchpoint (debug exception)", 0x3c: "a BRK instruction (debug exception)"}


@dataclass
class Entry:
    key: str
    words: str        # what the kernel (or root task) prints
    source: str       # where it comes from
    meaning: str
    proven_by: str    # the test that feeds a real broken input


CATALOGUE = (
    Entry("vm_fault", "vm fault on data|code at address A with status S",
          "seL4 src/kernel/faulthandler.c print_fault", "a translation or permission fault",
          "test_check.py::test_root_task_fault_is_decoded_into_its_source (altloader pv-offset-page-high); "
          "test_roottask_failures.py (captured from seL4 16.0.0)"),
    Entry("cap_fault", "cap fault in send|receive phase at address A",
          "seL4 src/kernel/faulthandler.c print_fault", "a syscall on a cap pointer that names no usable cap",
          "test_roottask_failures.py (captured from seL4 13.0.0/16.0.0 MCS with the non-MCS root task)"),
    Entry("unknown_syscall", "unknown syscall N", "seL4 src/kernel/faulthandler.c, src/api/syscall.c "
          "handleUnknownSyscall", "a syscall number the kernel does not have", "test_roottask_failures.py"),
    Entry("user_exception", "user exception N code C (N = ESR: undefined instruction, BRK/breakpoint = a "
          "debug exception, trapped system register, ...)", "seL4 src/kernel/faulthandler.c, "
          "src/arch/arm/c_traps.c handleUserLevelFault", "the CPU trapped an instruction of the root task",
          "test_roottask_failures.py"),
    Entry("timeout_fault", "Timeout fault for 0xB (MCS)", "seL4 src/kernel/faulthandler.c",
          "the root task's scheduling context ran out with a timeout handler", "test_roottask_failures.py"),
    Entry("unknown_fault", "unknown fault (debug exceptions with KernelHardwareDebugAPI, VCPU faults)",
          "seL4 src/kernel/faulthandler.c print_fault default", "a fault type print_fault has no words for",
          "test_roottask_failures.py"),
    Entry("no_fault_handler", "Found thread has no fault handler while trying to handle: <fault> (MCS)",
          "seL4 src/kernel/faulthandler.c handleNoFaultHandler", "the root task has no fault handler; it stops",
          "test_roottask_failures.py (captured from seL4 16.0.0 MCS)"),
    Entry("double_fault", "Caught <fault> while trying to handle: <fault> (non-MCS)",
          "seL4 src/kernel/faulthandler.c handleDoubleFault", "sending the fault to the (absent) fault "
          "handler faulted too; the root task stops", "test_roottask_failures.py (captured from seL4 16.0.0)"),
    Entry("kernel_halted", "halting... / Kernel entry via <reason> without a Debug halt syscall before it "
          "(a failed assertion, fail(), SysDebugNameThread on a non-TCB, 16.0's KERNEL INVALID VECTOR ENTRY)",
          "seL4 src/arch/arm/64/idle.c halt, include/api/debug.h", "the kernel stopped while the root task ran",
          "test_roottask_failures.py"),
    Entry("silent", "nothing after 'Booting all finished', and no halt",
          "-", "the root task printed nothing and never halted", "test_roottask_failures.py"),
    Entry("boot_failed", "roottask: boot FAILED: <why> (bootcheck's root task only)",
          "roottask/main.c", "our root task found a check or an invocation failing",
          "test_check.py::test_sel4_roottask_failure_fails_the_check (seL4 16.0.0 + 13.0-label root task)"),
    Entry("standin_fault", "stand-in: <fault> from user thread \"name\" at pc P, address A",
          "targets/standin", "the stand-in's own fault report", "test_check.py (altloader mutants)"),
    Entry("abi_nonmcs_on_mcs", "diagnosis: cap fault in receive phase at a printable address on an MCS kernel",
          "seL4 libsel4/include/api/syscall.xml: non-MCS DebugPutChar (-9) is MCS Wait (-9)",
          "the root task uses non-MCS syscall numbers on an MCS kernel",
          "test_check.py::test_nonmcs_roottask_on_mcs_kernel (real seL4 MCS, or the MCS stand-in)"),
    Entry("abi_mcs_on_nonmcs", "diagnosis: an unknown syscall that only MCS has (e.g. -15, MCS "
          "DebugCapIdentify), 'SysDebugNameThread: cap is not a TCB, halting' on a non-MCS kernel, or an MCS "
          "sel4.abi line", "seL4 libsel4/include/api/syscall.xml: MCS DebugHalt (-14) is non-MCS "
          "DebugNameThread (-14); -15 is no non-MCS syscall without SMP",
          "the root task uses MCS syscall numbers on a non-MCS kernel",
          "test_check.py::test_mcs_roottask_on_a_real_nonmcs_kernel and ..._on_the_nonmcs_stand_in "
          "(forced 16.0.0-mcs root task); test_roottask_failures.py"),
    Entry("abi_labels", "diagnosis: a failed invocation of a root task with 13.0's labels (no sel4.abi line, or "
          "13.0) on a 14.0+ kernel, e.g. ASIDPool_Assign -> seL4_IllegalOperation",
          "seL4 libsel4 object-api.xml: TCBSetFlags (14.0) and DomainScheduleConfigure/SetStart (15.0) "
          "shift every later label", "invocation labels of 13.0 on a 14.0+ kernel",
          "test_check.py::test_13_labels_on_16_kernel (real seL4 16.0.0, or the 16.0 stand-in)"),
)
CATALOGUE_KEYS = {e.key for e in CATALOGUE}


@dataclass
class Failure:
    kind: str                 # a CATALOGUE key
    words: str                # the kernel's (or root task's) words, lines joined with " / "
    fault: dict = field(default_factory=dict)   # the decoded fault: kind, addr, pc, thread, ...
    line_index: int = -1
    diagnosis: str = ""       # an ABI mismatch that explains it, with the evidence

    def as_dict(self):
        return {"kind": self.kind, "line": self.words, "diagnosis": self.diagnosis, **self.fault}


def _int(text):
    return int(text, 16) if text is not None else None


def decode_fault(text):
    """print_fault's words -> {'type', fields...}, or None."""
    for kind, rx in FAULT_TEXTS:
        m = rx.search(text)
        if m:
            d = {"type": kind}
            for k, v in m.groupdict().items():
                if v is None:
                    continue
                d[k] = v if k in ("access", "phase") else _int(v)
            g = GLUED_PC.search(text[m.end():])      # a non-debug build glues "at address PC"
            if g:
                d["pc"] = _int(g["pc"])
            return d
    return None


def describe_fault(f):
    """The decoded fault in words, with what it means."""
    t = f["type"]
    if t == "vm_fault":
        return f"vm fault on {f['access']} at address {f['addr']:#x} (status {f['status']:#x})"
    if t == "cap_fault":
        return f"cap fault in {f['phase']} phase at address {f['addr']:#x}"
    if t == "unknown_syscall":
        n = f["number"] - (1 << 64) if f["number"] >> 63 else f["number"]
        return f"unknown syscall {n}"
    if t == "user_exception":
        ec = (f["number"] >> 26) & 0x3f
        what = ESR_CLASSES.get(ec, f"exception class {ec:#x}")
        return f"user exception, ESR {f['number']:#x}: {what}"
    if t == "timeout_fault":
        return f"timeout fault (badge {f['badge']:#x})"
    return t.replace("_", " ")


ANSI = re.compile(r"\x1b\[[0-9;]*m")      # userError lines are coloured


def _lines(serial):
    return [ANSI.sub("", l).rstrip("\r") for l in serial.replace("\r\n", "\n").split("\n")]


def _user_phase(lines):
    """Index of the first line after seL4 dropped to user space, or None."""
    for i, l in enumerate(lines):
        if l.strip() == bootlog.BOOTED:
            return i + 1
    return None


def _fault_block(lines, i, fault_line, head):
    """The fault at lines[fault_line], with where it happened from the next lines."""
    f = decode_fault(lines[fault_line]) or {"type": "unknown_fault"}
    words = [head, lines[fault_line].strip()] if head else [lines[fault_line].strip()]
    for l in lines[fault_line + 1:fault_line + 3]:
        m = WHERE.search(l)
        if m:
            f["pc"], f["thread"] = _int(m["pc"]), m["thread"]
            words.append(l.strip())
            break
    return f, " / ".join(w for w in words if w)


def find(serial, own_roottask=False):
    """The first failure of the root task in the serial log, or None.
    own_roottask: the root task prints bootcheck's grammar (its `boot FAILED`
    line counts)."""
    lines = _lines(serial)
    start = _user_phase(lines)
    if start is None:
        return None
    for i in range(start, len(lines)):
        line = lines[i].strip()
        if line.startswith(NO_HANDLER):
            rest = line[len(NO_HANDLER):].strip()
            if rest:      # the fault on the same line
                lines = lines[:i] + [NO_HANDLER, rest] + lines[i + 1:]
            f, words = _fault_block(lines, i, i + 1, NO_HANDLER)
            return Failure("no_fault_handler", words, {**f, "fault_kind": f["type"]}, i)
        m = CAUGHT.match(line)
        if m and i + 2 < len(lines) and lines[i + 1].strip() == WHILE:
            f, words = _fault_block(lines, i, i + 2, f"{line} / {WHILE}")
            f["second"] = m["second"]
            return Failure("double_fault", words, {**f, "fault_kind": f["type"]}, i)
        m = STANDIN_FAULT.search(line)
        if m:
            return Failure("standin_fault", line, {"type": "standin_fault", "kind": m["kind"],
                                                   "addr": _int(m["addr"]), "pc": _int(m["pc"]),
                                                   "thread": m["thread"]}, i)
        if any(s in line for s in KERNEL_STOPS):
            tail = _halt_tail(lines, i)
            return Failure("kernel_halted", " / ".join([line] + tail), {"type": "kernel_halted"}, i)
        if line.startswith(HALTING):
            before = next((lines[j].strip() for j in range(i - 1, start - 1, -1) if lines[j].strip()), "")
            if REQUESTED_HALT.match(before):
                return None           # the root task asked to halt; what it printed before is judged above
            tail = _halt_tail(lines, i)
            return Failure("kernel_halted", " / ".join(([before] if before else []) + [line] + tail[1:]),
                           {"type": "kernel_halted"}, i)
        m = BOOT_FAILED.match(line)
        if m and own_roottask:
            return Failure("boot_failed", line, {"type": "boot_failed", "why": m["why"]}, i)
    return None


def _halt_tail(lines, i):
    """The halt line and seL4's `Kernel entry via ...` after it."""
    out = []
    for l in lines[i:i + 4]:
        l = l.strip()
        if l.startswith(HALTING) or ENTRY_REASON.search(l):
            out.append(l)
    return out or [lines[i].strip()]


def silent(serial):
    """True when seL4 dropped to user space and nothing followed: no line
    from the root task, no halt."""
    lines = _lines(serial)
    start = _user_phase(lines)
    return start is not None and not any(l.strip() for l in lines[start:])


def abi_line(serial):
    """The root task's `roottask: sel4.abi = R mcs|nonmcs smp=N` fact, or None."""
    for l in _lines(serial):
        m = ABI_LINE.match(l.strip())
        if m:
            return {"release": m["release"], "mcs": m["mcs"] == "mcs", "smp": m["smp"] == "1"}
    return None


def _kernel(t):
    return (f"{t.name} {'MCS' if t.mcs else 'non-MCS'}, read from the kernel ELF: "
            f"{t.evidence.get('release', '')}; {t.evidence.get('mcs', '')}")


def _abi_tables():
    """targets/abi's reader (seL4's labels per release), or None."""
    import os
    import sys
    where = os.path.join(os.path.dirname(__file__), "..", "..", "..", "targets", "abi")
    if where not in sys.path:
        sys.path.insert(0, where)
    try:
        import sel4abi
        return sel4abi
    except ImportError:
        return None


def _other_flavour_syscall(number, t):
    """For an unknown syscall number: what it is in the other flavour (MCS or
    not) of the kernel's release, when only that flavour has it ('' if not)."""
    sel4abi = _abi_tables()
    if sel4abi is None or not t.release:
        return ""
    n = number - (1 << 64) if number >> 63 else number
    try:
        here = sel4abi.abi(t.release, mcs=bool(t.mcs), smp=t.smp, hyp=t.hyp).syscalls
        there = sel4abi.abi(t.release, mcs=not t.mcs, smp=t.smp, hyp=t.hyp).syscalls
    except Exception:       # a configuration the table does not cover
        return ""
    names = [k for k, v in there.items() if v == n]
    mine = [k for k, v in here.items() if v == n]
    if not names or names == mine:
        return ""
    flavour, kernel = ("non-MCS", "MCS") if t.mcs else ("MCS", "non-MCS")
    if mine:     # numbered here, but this kernel does not handle it (14.0/15.0 number DebugSendIPI without SMP)
        return (f"syscall {n} is {flavour} {names[0]}; seL4 {t.release} {kernel} numbers it {mine[0]} and "
                "reported it unknown")
    return f"syscall {n} is {flavour} {names[0]}, which seL4 {t.release} {kernel} does not have"


def relabelled(call_name, t):
    """For a root-task invocation name (libsel4's, e.g. ASIDPool_Assign):
    (seL4 method, its 13.0 label, what the kernel's release decodes that
    label as), or None when the ABI table does not say."""
    sel4abi = _abi_tables()
    if sel4abi is None or not t.release:
        return None
    flat = call_name.replace("_", "")
    try:
        old = sel4abi.abi("13.0.0", mcs=bool(t.mcs), smp=t.smp, hyp=t.hyp)
        new = sel4abi.abi(t.release, mcs=bool(t.mcs), smp=t.smp, hyp=t.hyp)
    except Exception:       # a configuration the table does not cover
        return None
    method = next((m for m in old.labels if m in (flat, "ARM" + flat)), None)
    if method is None:
        return None
    label = old.labels[method]
    return method, label, new.method_of_label(label)


def diagnose(failure, serial, t, own_roottask):
    """The ABI mismatch that explains a failure, as a sentence, or ''.
    t: the kernel's bootcheck.kernel.target description."""
    if t is None:
        return ""
    abi = abi_line(serial)
    fault = failure.fault if failure else {}
    # non-MCS syscall numbers on an MCS kernel: DebugPutChar (-9) is MCS Wait
    # (-9) on the cap pointer in x0, the character.
    if t.mcs and fault.get("type") == "cap_fault" and fault.get("phase") == "receive":
        a = fault.get("addr", 0)
        if 0x20 <= a < 0x7f:
            return (f"the root task uses non-MCS syscall numbers on an MCS kernel ({_kernel(t)}): its "
                    f"DebugPutChar (non-MCS -9) is MCS Wait (-9), so printing {chr(a)!r} waited on cap "
                    f"{a:#x} and faulted")
    # a syscall number only the other flavour has
    if fault.get("type") == "unknown_syscall" and t.mcs is not None:
        other = _other_flavour_syscall(fault["number"], t)
        if other:
            if t.mcs:
                return (f"the root task uses non-MCS syscall numbers on an MCS kernel ({_kernel(t)}): {other}")
            return f"the root task uses MCS syscall numbers on a non-MCS kernel ({_kernel(t)}): {other}"
    if t.mcs and abi is not None and not abi["mcs"]:
        return (f"the root task uses non-MCS syscall numbers on an MCS kernel ({_kernel(t)}): it reported "
                f"sel4.abi = {abi['release']} nonmcs")
    if t.mcs is False:
        if failure is not None and failure.kind == "kernel_halted" and "SysDebugNameThread" in failure.words:
            return (f"the root task uses MCS syscall numbers on a non-MCS kernel ({_kernel(t)}): its "
                    "DebugHalt (MCS -14) is non-MCS DebugNameThread (-14), which halts on a cap that is not "
                    "a TCB")
        if abi is not None and abi["mcs"]:
            return (f"the root task uses MCS syscall numbers on a non-MCS kernel ({_kernel(t)}): it reported "
                    f"sel4.abi = {abi['release']} mcs")
    # 13.0's invocation labels on 14.0+: every label from TCBSetFlags on moved.
    if t.release and int(t.release.split(".")[0]) >= 14 and own_roottask:
        labels_13 = abi is None or abi["release"].startswith("13")
        inv = next((INVOCATION_FAILED.match(l.strip()) for l in _lines(serial)
                    if INVOCATION_FAILED.match(l.strip())), None)
        # a root task that detected 13.0 (or printed nothing, as main's did) and failed
        if labels_13 and (inv is not None or (failure is not None and failure.kind == "boot_failed")):
            how = "it printed no sel4.abi line (a root task built for 13.0)" if abi is None else \
                f"it reported sel4.abi = {abi['release']}"
            if inv is not None:
                moved = relabelled(inv["name"], t)
                what = f", and {inv['call']} -> {inv['error']}"
                if moved and moved[2] != moved[0]:
                    what += (f"; {inv['name']} sends 13.0's label {moved[1]} ({moved[0]}), which seL4 "
                             f"{t.release} decodes as {moved[2] or 'no method'}")
            else:
                what = f", and it failed: {failure.words}"
            return (f"invocation labels of 13.0 on a 14.0+ kernel ({_kernel(t)}): {how}{what}. From 14.0 "
                    "TCBSetFlags, from 15.0 DomainScheduleConfigure and DomainScheduleSetStart move every "
                    "later label")
    return ""


def prints_our_grammar(roottask_path):
    """Whether the root task is bootcheck's (any build of it, stripped or
    not): its loaded bytes hold the format of its `boot FAILED` line."""
    try:
        from elftools.elf.elffile import ELFFile
        with open(roottask_path, "rb") as f:
            elf = ELFFile(f)
            return any(OWN_ROOTTASK_MARKER in seg.data() for seg in elf.iter_segments()
                       if seg["p_type"] == "PT_LOAD")
    except (OSError, Exception):     # not readable as an ELF: not ours
        return False


def finished(serial):
    """Whether the root task ran to an end: a halt it asked for (`Debug halt
    syscall from user thread`, seL4 and the stand-in alike)."""
    return any(REQUESTED_HALT.match(l.strip()) for l in _lines(serial))
