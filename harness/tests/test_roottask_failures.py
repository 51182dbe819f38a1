"""Every way seL4 reports a user-level failure, read from real serial output
(tests/serial/, captured from real seL4 13.0.0 and 16.0.0; README.md there
says how each was made) by bootcheck.kernel.roottask_failures and judged by the
contract's rule roottask_runs, with the ABI diagnoses read against the
kernel's target description. The boot-log reader on both releases' words.

Expected values come from how each log was made (the register gdb set, the
instruction written, the character the root task prints first), not from the
parser's output."""

import dataclasses
import os

import pytest

from bootcheck.check import contract
from bootcheck.kernel import bootlog, expect, roottask_failures, target

from conftest import Artifacts

SERIAL = os.path.join(os.path.dirname(__file__), "serial")
SVC_PC = 0x4017b8          # the `svc` of main's sys_debug_put_char, where gdb stopped
WRITTEN_AT = 0x41c000      # where gdb wrote UDF / BRK / `b .`
ESR_EC_UNKNOWN, ESR_EC_BRK = 0x00, 0x3c


def serial(name):
    with open(os.path.join(SERIAL, name)) as f:
        return f.read()


def kernel(release, mcs, hyp=False, cores=1):
    """A target description as bootcheck.kernel.target reads a real build of it."""
    return target.Target(path="-", kind="seL4", arch="aarch64", e_machine=183, entry=0, stripped=False,
                         release=release, mcs=mcs, hyp=hyp, cores=cores, debug=True, printing=True,
                         evidence={"release": f"(a {release} build)", "mcs": "(its MCS setting)"})


def test_double_fault_vm_fault_16():
    f = roottask_failures.find(serial("sel4-16.0.0-el1-vm-fault.log"))
    assert f.kind == "double_fault"
    assert f.fault["type"] == "vm_fault" and f.fault["access"] == "data"
    assert f.fault["thread"] == "rootserver"
    u = expect.elf_facts(Artifacts.roottask)
    assert u.vmin <= f.fault["pc"] < u.vmax        # a root-task instruction
    assert f.fault["second"] == "cap fault in send phase at address 0"   # the absent fault handler


@pytest.mark.parametrize("release", ["13.0.0", "16.0.0"])
def test_mcs_no_fault_handler_cap_fault_is_nonmcs_putchar(release):
    text = serial(f"sel4-{release}-mcs-el1-cap-fault-receive.log")
    f = roottask_failures.find(text)
    assert f.kind == "no_fault_handler"
    assert f.fault["type"] == "cap_fault" and f.fault["phase"] == "receive"
    assert f.fault["addr"] == ord("r")          # "roottask: start" begins with 'r'
    assert f.fault["thread"] == "rootserver"
    d = roottask_failures.diagnose(f, text, kernel(release, True), own_roottask=True)
    assert d.startswith(f"the root task uses non-MCS syscall numbers on an MCS kernel (seL4 {release} MCS, "
                        "read from the kernel ELF: ")
    assert d.endswith("its DebugPutChar (non-MCS -9) is MCS Wait (-9), so printing 'r' waited on cap 0x72 "
                      "and faulted")
    # The same log from a non-MCS kernel is no such mismatch.
    assert roottask_failures.diagnose(f, text, kernel(release, False), own_roottask=True) == ""


@pytest.mark.parametrize("name,mcs", [("sel4-16.0.0-el1-unknown-syscall.log", False),
                                      ("sel4-16.0.0-mcs-el1-unknown-syscall.log", True)])
def test_unknown_syscall(name, mcs):
    f = roottask_failures.find(serial(name))
    assert f.kind == ("no_fault_handler" if mcs else "double_fault")
    assert f.fault["type"] == "unknown_syscall"
    assert roottask_failures.describe_fault(f.fault) == "unknown syscall -100"
    assert f.fault["pc"] == SVC_PC


@pytest.mark.parametrize("name,ec", [("sel4-16.0.0-el1-undefined-instruction.log", ESR_EC_UNKNOWN),
                                     ("sel4-16.0.0-el1-brk.log", ESR_EC_BRK),
                                     ("sel4-13.0.0-el1-brk.log", ESR_EC_BRK)])
def test_user_and_debug_exceptions(name, ec):
    f = roottask_failures.find(serial(name))
    assert f.kind == "double_fault" and f.fault["type"] == "user_exception"
    assert f.fault["pc"] == WRITTEN_AT
    assert (f.fault["number"] >> 26) & 0x3f == ec
    words = roottask_failures.describe_fault(f.fault)
    assert words.endswith(roottask_failures.ESR_CLASSES[ec])
    assert ("debug exception" in words) == (ec == ESR_EC_BRK)


def test_kernel_halt_not_requested_is_a_failure_and_names_mcs_numbers():
    text = serial("sel4-16.0.0-el1-sysdebugnamethread-halt.log")
    f = roottask_failures.find(text)
    assert f.kind == "kernel_halted"
    assert f.words.startswith("<<seL4(CPU 0) [handleUnknownSyscall/")      # colours stripped
    assert "SysDebugNameThread: cap is not a TCB, halting>> / halting... / Kernel entry via Unknown syscall" \
        in f.words
    d = roottask_failures.diagnose(f, text, kernel("16.0.0", False), own_roottask=True)
    assert d.startswith("the root task uses MCS syscall numbers on a non-MCS kernel (seL4 16.0.0 non-MCS")
    assert "DebugHalt (MCS -14) is non-MCS DebugNameThread (-14)" in d


def test_requested_halt_is_no_failure():
    text = serial("sel4-13.0.0-el1-halt-requested.log")
    assert "Kernel entry via Unknown syscall" in text        # printed after every DebugHalt
    assert roottask_failures.find(text, own_roottask=True) is None
    assert not roottask_failures.silent(text)


def test_boot_failed_counts_for_our_root_task_only():
    text = serial("sel4-16.0.0-el1-boot-failed.log")
    assert roottask_failures.find(text, own_roottask=False) is None
    f = roottask_failures.find(text, own_roottask=True)
    assert f.kind == "boot_failed"
    assert f.words == "roottask: boot FAILED: spawn system_init: ASIDPool_Assign -> seL4_IllegalOperation"
    d = roottask_failures.diagnose(f, text, kernel("16.0.0", False), own_roottask=True)
    assert d.startswith("invocation labels of 13.0 on a 14.0+ kernel (seL4 16.0.0 non-MCS")
    assert "it printed no sel4.abi line (a root task built for 13.0)" in d
    # 13.0's ARMASIDPoolAssign is 45 (handoff facts §5); on 16.0, 45 is ARMPageUnify_Instruction
    # (sel4-releases.md: ARMPageMap 40 .. ARMPageGetAddress 46)
    assert "ASIDPool_Assign sends 13.0's label 45 (ARMASIDPoolAssign), which seL4 16.0.0 decodes as " \
           "ARMPageUnify_Instruction" in d
    assert roottask_failures.diagnose(f, text, kernel("13.0.0", False), own_roottask=True) == ""
    # a loader's mistake (a vm fault before any invocation) is no label mismatch
    vm = serial("sel4-16.0.0-el1-vm-fault.log")
    assert roottask_failures.diagnose(roottask_failures.find(vm, True), vm, kernel("16.0.0", False), True) == ""
    # a root task that detected 16.0 (the abi branch's fact line) is no label mismatch
    detected = text.replace("roottask: start\n", "roottask: start\nroottask: sel4.abi = 15.0/16.0 nonmcs smp=0\n")
    assert roottask_failures.diagnose(f, detected, kernel("16.0.0", False), own_roottask=True) == ""


def test_silent_root_task():
    text = serial("sel4-16.0.0-el1-silent.log")
    assert roottask_failures.find(text, own_roottask=True) is None
    assert roottask_failures.silent(text)


def test_own_roottask_marker():
    assert roottask_failures.prints_our_grammar(Artifacts.roottask)
    assert not roottask_failures.prints_our_grammar(Artifacts.standin_kernel)


# --- the contract's rule over them -----------------------------------------------

def _inputs(t):
    inp = contract.Inputs.load(Artifacts.standin_kernel, Artifacts.roottask)
    return dataclasses.replace(inp, target=t)


def _symbolize(pc):
    return "sym"


def test_rule_fails_for_every_report_and_passes_a_requested_halt():
    t = kernel("16.0.0", False)
    for name in ("sel4-16.0.0-el1-vm-fault.log", "sel4-16.0.0-el1-unknown-syscall.log",
                 "sel4-16.0.0-el1-brk.log", "sel4-16.0.0-el1-undefined-instruction.log",
                 "sel4-16.0.0-el1-sysdebugnamethread-halt.log", "sel4-16.0.0-el1-boot-failed.log",
                 "sel4-16.0.0-el1-silent.log"):
        f = contract.judge_roottask_runs(_inputs(t), serial(name), True, _symbolize, watched=1.0)
        assert f.rule == "roottask_runs" and f.status == "fail", (name, f)
    ok = contract.judge_roottask_runs(_inputs(kernel("13.0.0", False)),
                                      serial("sel4-13.0.0-el1-halt-requested.log"), True, _symbolize)
    assert ok.status == "pass"


def test_rule_sentence_for_the_mcs_issue():
    """The reported bug: this log used to PASS."""
    t = kernel("16.0.0", True)
    f = contract.judge_roottask_runs(_inputs(t), serial("sel4-16.0.0-mcs-el1-cap-fault-receive.log"), True,
                                     _symbolize)
    assert f.status == "fail"
    assert f.sentence.startswith("the root task faulted: cap fault in receive phase at address 0x72 at PC "
                                 "0x4017b8 (sym); it has no fault handler, so seL4 16.0.0 MCS stopped it; "
                                 "seL4 said \"Found thread has no fault handler while trying to handle: / cap "
                                 "fault in receive phase at address 0x72 / in thread ")
    assert ". Diagnosis: the root task uses non-MCS syscall numbers on an MCS kernel (seL4 16.0.0 MCS" \
        in f.sentence


def test_silent_sentence_names_the_watch():
    f = contract.judge_roottask_runs(_inputs(kernel("16.0.0", False)), serial("sel4-16.0.0-el1-silent.log"),
                                     True, _symbolize, watched=1.0)
    assert f.sentence == "the root task printed nothing and never halted in the 1 s watched after its entry at EL0"


# --- the boot log in both releases' words ---------------------------------------

@pytest.mark.parametrize("name,form", [("sel4-13.0.0-el1-boot.log", "13.0"), ("sel4-13.0.0-hyp-boot.log", "13.0"),
                                       ("sel4-16.0.0-el1-boot.log", "16.0"), ("sel4-16.0.0-hyp-boot.log", "16.0")])
def test_boot_log_both_forms(name, form):
    log = bootlog.parse(serial(name))
    assert log.form() == form and log.booted and not log.errors
    hyp = "hyp" in name
    ram = (0x60000000 if hyp else 0x40000000, 0x80000000)      # handoff facts §3.3: avail_p_regs
    assert log.available == [ram] and log.headers == {"available": 1, "reserved": 3}
    pptr = 0x0000008000000000 if hyp else 0xffffff8000000000
    assert log.reserved[0][0] == pptr + ram[0]                 # the kernel image first
    assert log.agrees_with(name.split("-")[1]) is True


def test_boot_log_16_new_lines_and_render():
    text = ("Available phys memory regions: 2\n  [40000000..80000000)\n"
            "  region [8000000000..8000001000) is outside the kernel window, only potentially available as "
            "device untypeds\n  WARNING: cannot use region [90000000..a0000000), avail_reg[] is full\n"
            "ERROR: no available memory within the kernel window\n")
    log = bootlog.parse(text)
    assert log.outside_window == [(0x8000000000, 0x8000001000)]
    assert log.unusable == [(0x90000000, 0xa0000000)]
    assert log.errors == [bootlog.NO_WINDOW_MEMORY] and not log.booted
    line13 = "ERROR: userland image virt [7ffffffe0000..80000000b000]exceeds USER_TOP (7fffffffffff)"
    assert bootlog.render(line13, "13.0.0") == line13
    assert bootlog.render(line13, "14.0.0") == line13.replace("b000]", "b000)")
    assert bootlog.render("reserved virt address space regions: 2", "15.0.0") == \
        "reserved virt address space regions: 2"
    assert bootlog.render("reserved virt address space regions: 2", "16.0.0") == \
        "Reserved virt address space regions: 2"


def test_our_root_task_that_did_not_finish_fails():
    """A log cut where the budget ended it (an SMP kernel under gdb is slow):
    our root task had printed neither its verdict nor asked to halt."""
    full = serial("sel4-13.0.0-el1-halt-requested.log")
    cut = full[:full.index("roottask: check yield ok")]
    assert roottask_failures.find(cut, own_roottask=True) is None and not roottask_failures.finished(cut)
    f = contract.judge_roottask_runs(_inputs(kernel("13.0.0", False)), cut, True, _symbolize, budget=20)
    last = [l for l in cut.splitlines() if l.strip()][-1].strip()
    assert (f.status, f.sentence) == ("fail", "the root task (bootcheck's) did not finish in the 20 s budget: no "
                                      f"boot verdict and no halt; last line \"{last}\"")
    done = contract.judge_roottask_runs(_inputs(kernel("13.0.0", False)), full, True, _symbolize, budget=20)
    assert (done.status, done.sentence) == ("pass", "no fault or failure reported; the root task ran to its end")


def test_mcs_numbers_on_a_nonmcs_kernel():
    """The abi helper's forced 16.0.0-mcs root task on real seL4 16.0.0
    (non-MCS): its first syscall, MCS DebugCapIdentify (-15), is none there."""
    text = serial("sel4-16.0.0-el1-mcs-roottask.log")
    f = roottask_failures.find(text, own_roottask=True)
    assert f.kind == "double_fault" and roottask_failures.describe_fault(f.fault) == "unknown syscall -15"
    d = roottask_failures.diagnose(f, text, kernel("16.0.0", False), own_roottask=True)
    assert d.startswith("the root task uses MCS syscall numbers on a non-MCS kernel (seL4 16.0.0 non-MCS")
    assert d.endswith("syscall -15 is MCS DebugCapIdentify, which seL4 16.0.0 non-MCS does not have")
    # -100 is no syscall of either flavour: no diagnosis
    other = serial("sel4-16.0.0-el1-unknown-syscall.log")
    assert roottask_failures.diagnose(roottask_failures.find(other), other, kernel("16.0.0", False), True) == ""
