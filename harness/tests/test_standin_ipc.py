"""Endpoint IPC, notifications and fault delivery on the stand-in kernel,
held to seL4 13.0.0 (non-MCS): the ipc_probe root task
(fixtures/ipc_probe/) runs a second thread and prints one fact per case;
each value is judged from first principles (the badges and words the probe
chose, the faulting PCs from its symbol table, seL4's fault and error
numbers), on the stand-in and on every real seL4 given with SEL4_KERNEL.
With a real seL4, the stand-in must also print the same lines, double-fault
report included. The SMP stand-in (kernel-smp4.elf) and, with
SEL4_SMP_KERNEL, a real SMP seL4 must print what the single-core stand-in
prints."""

import os
import re

import pytest

from bootcheck import expect
from conftest import KERNEL_PARAMS, SEL4_PARAMS, kernel_choice
from spawn_support import facts

pytestmark = pytest.mark.qemu

# What the probe minted and sent (fixtures/ipc_probe/main.c).
BADGE_CALL, BADGE_CALL_NO_GRANT, BADGE_SEND = 0x1b1, 0x2c2, 0x3c3
BADGE_DONE, BADGE_FAULT = 0xd0e, 0xfa17
BADGE_NTFN_A, BADGE_NTFN_B, BADGE_NTFN_C = 0x1, 0x30, 0x500
DATA_FAULT_VADDR, CODE_FAULT_VADDR, DOUBLE_FAULT_VADDR = 0x10000000, 0x30000000, 0x20000000
CLEAN_STACK_SP_OFFSET = 128         # traps.S: SP for the double fault, inside clean_stack
INVALID_CPTR = 1 << 12              # just past the root CNode's 2^12 slots
ROOT_CNODE_GUARD_BITS = 64 - 12     # the root CNode resolves 12 bits behind a zero guard

# seL4 13.0.0 numbers (libsel4: seL4_FaultType, seL4_Error, lookup_fault + 1, cap tags).
FAULT_NULL, FAULT_CAP, FAULT_UNKNOWN_SYSCALL, FAULT_USER_EXCEPTION, FAULT_VM = 0, 1, 2, 3, 5
INVALID_CAPABILITY = 2
LOOKUP_MISSING_CAPABILITY, LOOKUP_GUARD_MISMATCH = 1 + 1, 3 + 1
CAP_TAG_ENDPOINT, CAP_TAG_NOTIFICATION = 4, 6
# User threads run EL0t with FIQ masked (seL4's PSTATE_USER).
SPSR_EL0T = 0x40
# ESR: EC << 26 | IL; aborts: WnR (bit 6) and a translation fault at level 2
# (the root task's level-2 table covers the first GiB; nothing below it
# maps these addresses).
IL, WNR, TRANSLATION_LEVEL_2 = 1 << 25, 1 << 6, 0b000110
EC_UNKNOWN, EC_IABT_LOWER, EC_DABT_LOWER = 0x00, 0x20, 0x24
# A stage-2 data abort (hyp kernels) also reports the instruction syndrome:
# ISV, SAS, SSE, SRT, SF, AR (ESR bits 24..14).
DABT_INSTRUCTION_SYNDROME = 0x01ffc000


def esr(ec, iss):
    return ec << 26 | IL | iss


SEL4_SMP_KERNEL = os.environ.get("SEL4_SMP_KERNEL", "")


def kernel_path(kind, artifacts):
    if kind == "standin-smp":
        return os.path.join(os.path.dirname(artifacts.standin_kernel), "kernel-smp4.elf")
    if kind == "sel4-smp":
        if not SEL4_SMP_KERNEL:
            pytest.skip("no real SMP seL4 kernel given (SEL4_SMP_KERNEL=path/to/kernel-smp4.elf)")
        return SEL4_SMP_KERNEL
    return kernel_choice(kind, artifacts)


_boots = {}


def probe(kind, artifacts, booter):
    """The probe booted once per kernel for the whole run (booter.boot_shared,
    across xdist workers; an SMP kernel on as many CPUs as it has nodes)."""
    if kind not in _boots:
        path = f"{artifacts.fixtures}/ipc_probe.elf"
        image = booter.pack(kernel_path(kind, artifacts), path)
        r = booter.boot_shared(image, timeout=60)
        assert "roottask: ipc probe done" in r.lines, r.describe()
        _boots[kind] = (facts(r.serial), r, expect.elf_facts(path).symbols)
    return _boots[kind]


def words(got, name):
    return [int(v, 16) for v in got[f"ipc.{name}"]]


def expected(got, sym):
    """Each case's words: label, badge, length, then MRs (for messages)."""
    empty_slot, ep_send = words(got, "slots")
    svc = sym["probe_syscall_svc"][0]
    unknown_svc = sym["probe_unknown_syscall_svc"][0]
    return {
        # Call with six words, queued before the receiver came; a five-word reply.
        "call_received": [0x77, BADGE_CALL, 6, 0x1000, 0x1001, 0x1002, 0x1003, 0x4444, 0x5555],
        "call_reply": [0, BADGE_DONE, 8, 0x55, 0, 5, 0x2000, 0x2001, 0x2002, 0x2003, 0x6666],
        # Call through a Write-only cap: delivered, the caller then inactive.
        "call_no_grant_received": [0x78, BADGE_CALL_NO_GRANT, 1, 0x1234],
        "call_no_grant_after": [0, 0, 0],
        # ReplyRecv server: label + 1, MR0 * 2, the caller's badge; replies carry badge 0.
        "reply_recv_first": [2, 0, 2, 42, BADGE_CALL],
        "reply_recv_second": [6, 0, 2, 200, BADGE_CALL],
        "nb_recv_nothing": [0, 0, 0],
        "nb_send_dropped": [0, BADGE_DONE, 2, 0, 0],
        # 0x9b, not the dropped 0x9a: an NBSend nobody waited for is lost.
        "nb_send_delivered": [0, BADGE_DONE, 5, BADGE_SEND, 0x9b, 2, 0xa, 0xb],
        "send_blocking": [0, BADGE_DONE, 3, BADGE_SEND, 0x9c, 0xc],
        # No Write right: seL4_InvalidCapability, MR0 = invalid cap number 0.
        "call_read_only_endpoint": [INVALID_CAPABILITY, 0, 1, 0],
        "call_read_only_notification": [INVALID_CAPABILITY, 0, 1, 0],
        "ntfn_cap_tags": [CAP_TAG_NOTIFICATION, CAP_TAG_ENDPOINT],
        "ntfn_poll_or_clear": [0, BADGE_NTFN_A | BADGE_NTFN_B, 0],
        "ntfn_call_signals": [0, 0, 0],
        "ntfn_signalled_by_call_and_nb_send": [BADGE_NTFN_C, BADGE_NTFN_A],
        "ntfn_wakes_waiter": [0, BADGE_DONE, 1, BADGE_NTFN_C],
        # Cap faults: IP, address, receive phase, lookup failure (+ its words).
        "fault_cap_send": [FAULT_CAP, BADGE_FAULT, 7, svc, INVALID_CPTR, 0,
                           LOOKUP_GUARD_MISMATCH, 64, 0, ROOT_CNODE_GUARD_BITS],
        "fault_cap_send_restarted": [FAULT_CAP, BADGE_FAULT, 7, svc, INVALID_CPTR],
        "fault_cap_recv_empty_slot": [FAULT_CAP, BADGE_FAULT, 5, svc, empty_slot, 1,
                                      LOOKUP_MISSING_CAPABILITY, 0],
        "fault_cap_recv_without_read": [FAULT_CAP, BADGE_FAULT, 5, svc, ep_send, 1,
                                        LOOKUP_MISSING_CAPABILITY, 0],
        "nb_send_invalid_cptr_no_fault": [0, BADGE_DONE, 0],
        "fault_cap_nb_recv": [FAULT_CAP, BADGE_FAULT, 7, svc, INVALID_CPTR, 1,
                              LOOKUP_GUARD_MISMATCH, 64, 0, ROOT_CNODE_GUARD_BITS],
        # VM faults: IP, address, prefetch, FSR.
        "fault_vm_data": [FAULT_VM, BADGE_FAULT, 4, sym["probe_store_pc"][0], DATA_FAULT_VADDR, 0,
                          esr(EC_DABT_LOWER, WNR | TRANSLATION_LEVEL_2)],
        "fault_vm_data_resolved": [0, BADGE_DONE, 1, 0xfeed],
        "fault_vm_code": [FAULT_VM, BADGE_FAULT, 4, CODE_FAULT_VADDR, CODE_FAULT_VADDR, 1,
                          esr(EC_IABT_LOWER, TRANSLATION_LEVEL_2)],
        # x0..x7, FaultIP, SP, LR (ELR), SPSR (Z and C set), the number.
        "fault_unknown_syscall": [FAULT_UNKNOWN_SYSCALL, BADGE_FAULT, 13,
                                  0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x42,
                                  unknown_svc, "sp", unknown_svc + 4, 0x60000000 | SPSR_EL0T, 0x42],
        "fault_unknown_syscall_resumed": [0, BADGE_DONE, 1, 0x600d],
        # FaultIP, SP, SPSR, ESR (EC 0: unknown instruction), code 0.
        "fault_user_exception": [FAULT_USER_EXCEPTION, BADGE_FAULT, 5, sym["probe_undefined_pc"][0],
                                 "sp", "spsr", esr(EC_UNKNOWN, 0), 0],
        "fault_user_exception_resumed": [0, BADGE_DONE, 1, 0x77],
        "double_fault_nothing_sent": [0, 0, 0],
        "double_fault_handler_cptr": [ep_send],
    }


CASES = sorted(expected({"ipc.slots": ["0x0", "0x0"]},
                        {s: (0, 0) for s in ("probe_syscall_svc", "probe_unknown_syscall_svc",
                                             "probe_store_pc", "probe_undefined_pc")}))


@pytest.fixture(params=KERNEL_PARAMS + ["standin-smp"])
def kind(request):
    return request.param


def judge(want, have, sym, hyp):
    """want with its placeholders resolved against what the kernel gave."""
    stack, size = sym["worker_stack"]
    out = []
    for w, h in zip(want, have):
        if w == "sp":      # inside the worker's stack
            assert stack <= h < stack + size, f"SP {h:#x} outside the worker's stack"
            w = h
        elif w == "spsr":  # EL0t, FIQ masked; the flags are whatever the code left
            assert h & 0x3ff == SPSR_EL0T, f"SPSR {h:#x}"
            w = h
        elif hyp and w == esr(EC_DABT_LOWER, WNR | TRANSLATION_LEVEL_2):
            w |= h & DABT_INSTRUCTION_SYNDROME
        out.append(w)
    return out


@pytest.mark.parametrize("case", CASES)
def test_ipc_case(case, kind, artifacts, booter):
    got, r, sym = probe(kind, artifacts, booter)
    assert f"ipc.{case}" in got, r.describe()
    have = words(got, case)
    want = expected(got, sym)[case]
    assert len(have) == len(want), f"{case}: {[hex(v) for v in have]}\n{r.describe()}"
    assert have == judge(want, have, sym, kind.startswith("sel4-hyp")), \
        f"{case}: got {[hex(v) for v in have]}\n{r.describe()}"


def test_every_probe_case_is_judged(kind, artifacts, booter):
    got, _, _ = probe(kind, artifacts, booter)
    assert {k[len("ipc."):] for k in got if k.startswith("ipc.")} == set(CASES) | {"slots"}


def double_fault_report(lines):
    start = lines.index("while trying to handle:") - 1
    return lines[start:start + 5 + 16]


def test_double_fault_report(kind, artifacts, booter):
    """seL4's report for a fault endpoint without Grant: the handler cap
    fault, the VM fault it could not deliver, the thread, 16 stack words
    (the probe faults with SP in a zeroed buffer: all 0); then only that
    thread stops (the probe carried on to its end)."""
    got, r, sym = probe(kind, artifacts, booter)
    _, ep_send = words(got, "slots")
    report = double_fault_report(r.lines)
    fsr = esr(EC_DABT_LOWER, WNR | TRANSLATION_LEVEL_2)
    if kind.startswith("sel4-hyp"):
        fsr |= int(report[2].rsplit(" ", 1)[1], 16) & DABT_INSTRUCTION_SYNDROME
    assert report[:3] == [f"Caught cap fault in send phase at address {ep_send:#x}",
                          "while trying to handle:",
                          f"vm fault on data at address {DOUBLE_FAULT_VADDR:#x} with status {fsr:#x}"], \
        r.describe()
    assert re.fullmatch(rf"in thread 0x[0-9a-f]+ \"child of: 'rootserver'\" at address "
                        rf"{sym['probe_clean_store_pc'][0]:#x}", report[3]), r.describe()
    sp = sym["clean_stack"][0] + CLEAN_STACK_SP_OFFSET
    assert report[4:] == ["With stack:"] + [f"{sp + 8 * i:#x}: 0x0" for i in range(16)], r.describe()
    assert r.lines.index("roottask: ipc probe done") > r.lines.index(report[0]), r.describe()


def comparable(r, got):
    """The probe's and the kernel's lines, from the probe's start to the
    halt, with what legitimately differs between kernels named instead:
    slot numbers (BootInfo.empty differs), TCB addresses, seL4's
    userError debug lines (the stand-in prints none)."""
    lines = r.lines[r.lines.index("roottask: ipc probe start"):]
    lines = lines[:next(i for i, l in enumerate(lines) if l.startswith("halting..."))]
    empty_slot, ep_send = words(got, "slots")
    out = []
    for line in lines:
        if "seL4(CPU" in line:
            continue
        line = re.sub(r"thread 0x[0-9a-f]+", "thread <tcb>", line)
        line = line.replace(f"{empty_slot:#x}", "<empty_slot>").replace(f"{ep_send:#x}", "<ep_send>")
        out.append(line)
    return out


@pytest.mark.parametrize("sel4", SEL4_PARAMS)
def test_standin_prints_what_sel4_prints(sel4, artifacts, booter):
    sel4_got, sel4_run, _ = probe(sel4, artifacts, booter)
    got, run, _ = probe("standin", artifacts, booter)
    theirs, ours = comparable(sel4_run, sel4_got), comparable(run, got)
    if sel4.startswith("sel4-hyp"):
        # A stage-2 abort also reports the instruction syndrome (see above).
        def strip(line):
            return re.sub(r"0x9[23][0-9a-f]{6}\b",
                          lambda m: hex(int(m.group(0), 16) & ~DABT_INSTRUCTION_SYNDROME), line)
        theirs = [strip(l) for l in theirs]
    assert ours == theirs, "\n".join(
        f"{'  ' if a == b else '! '}{a!r}\n  {b!r}" for a, b in zip(ours, theirs))


@pytest.mark.parametrize("smp", ["standin-smp", "sel4-smp"])
def test_smp_kernels_print_what_the_standin_prints(smp, artifacts, booter):
    """Only the boot core runs threads; IPC and faults are the same."""
    smp_got, smp_run, _ = probe(smp, artifacts, booter)
    got, run, _ = probe("standin", artifacts, booter)
    ours, theirs = comparable(run, got), comparable(smp_run, smp_got)
    assert theirs == ours, "\n".join(
        f"{'  ' if a == b else '! '}{a!r}\n  {b!r}" for a, b in zip(ours, theirs))
