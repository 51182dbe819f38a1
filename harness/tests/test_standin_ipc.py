"""IPC, notifications, fault delivery and (MCS) scheduling contexts and
reply objects on every stand-in build, held to seL4: the ipc_probe root task
(fixtures/ipc_probe/, one ELF for every release and configuration) runs
worker threads and prints one fact per case; each value is judged from first
principles (the badges and words the probe chose, the faulting PCs from its
symbol table, seL4's fault, error and ABI numbers of that release and
configuration from targets/abi), on each stand-in build and on every real
seL4 given with SEL4_KERNEL (and SEL4_SMP_KERNEL). Each real kernel is also
compared line by line with the stand-in build of its release and
configuration (standin_support.paired_build): the same facts, the same
no-fault-handler or double-fault report."""

import os
import re
import sys

import pytest

from bootcheck.kernel import expect, target
from conftest import ROOT, SEL4_PARAMS, sel4_kernel_path, sel4_param_is_hyp
from spawn_support import facts
from standin_support import BUILDS, paired_build, require_build

sys.path.insert(0, os.path.join(ROOT, "targets", "abi"))
import sel4abi  # noqa: E402

pytestmark = pytest.mark.qemu

# What the probe minted and sent (fixtures/ipc_probe/).
BADGE_CALL, BADGE_CALL_NO_GRANT, BADGE_SEND = 0x1b1, 0x2c2, 0x3c3
BADGE_DONE, BADGE_FAULT = 0xd0e, 0xfa17
BADGE_NTFN_A, BADGE_NTFN_B, BADGE_NTFN_C = 0x1, 0x30, 0x500
BADGE_T3, BADGE_T5 = 0x7, 0x9
DATA_FAULT_VADDR, CODE_FAULT_VADDR, DOUBLE_FAULT_VADDR = 0x10000000, 0x30000000, 0x20000000
CLEAN_STACK_SP_OFFSET = 128         # traps.S: SP for the last fault, inside clean_stack
INVALID_CPTR = 1 << 12              # just past the root CNode's 2^12 slots
ROOT_CNODE_GUARD_BITS = 64 - 12     # the root CNode resolves 12 bits behind a zero guard
UNKNOWN_SYSCALL = 0x4242            # traps.S: probe_unknown_syscall's number

# seL4's numbers that are the same in every release (libsel4 constants.h).
NO_ERROR, INVALID_ARGUMENT, INVALID_CAPABILITY, ILLEGAL_OPERATION, RANGE_ERROR = 0, 1, 2, 3, 4
FAILED_LOOKUP, TRUNCATED_MESSAGE = 6, 7
INVALID_ROOT, MISSING_CAPABILITY, DEPTH_MISMATCH, GUARD_MISMATCH = 1, 2, 3, 4
MAX_PRIO = 255
# The qemu-arm-virt MCS timer numbers: 62.5 MHz, KERNEL_WCET 10 us.
MIN_BUDGET_US = 2 * 10
MAX_PERIOD_US = (2**64 - 1) // 62500 // 8
PROBE_BUDGET_US = 1000
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
DATA_FSR = IL | EC_DABT_LOWER << 26 | WNR | TRANSLATION_LEVEL_2


def esr(ec, iss):
    return ec << 26 | IL | iss


# Test ids: standin-<build> for each stand-in build, and the SEL4_KERNEL ids
# (SEL4_SMP_KERNEL's kernel among them).
REAL_PARAMS = SEL4_PARAMS
KINDS = [f"standin-{b}" for b in BUILDS] + REAL_PARAMS


def kernel_path(kind):
    if kind.startswith("standin-"):
        return require_build(kind[len("standin-"):])
    return sel4_kernel_path(kind)


_boots = {}


def probe(kind, artifacts, booter):
    """The probe booted once per kernel for the whole run (booter.boot_shared,
    across xdist workers; an SMP kernel on as many CPUs as it has nodes)."""
    path = kernel_path(kind)
    if path not in _boots:
        elf = f"{artifacts.fixtures}/ipc_probe.elf"
        image = booter.pack(path, elf)
        r = booter.boot_shared(image, timeout=90)
        assert "roottask: ipc probe done" in r.lines, r.describe()
        _boots[path] = (facts(r.serial), r, expect.elf_facts(elf).symbols, target.read(path))
    return _boots[path]


def words(got, name):
    return [int(v, 16) for v in got[name]]


def reply(label, *mrs):
    """A kernel's reply as the probe prints it: label, badge 0, length, MRs."""
    return [label, 0, len(mrs), *mrs]


def cap_fault(mrs_before_lookup, lookup, t):
    """A cap fault message: IP, address, receive phase, then the lookup
    failure. seL4 13.0 .. 15.0 on MCS never record a cap fault's lookup
    failure: the message carries the TCB's zeroed one (InvalidRoot)."""
    if t.mcs and t.release != "16.0.0":
        lookup = [INVALID_ROOT]
    return mrs_before_lookup + lookup


def message(label, badge, mrs, shown=None):
    """label, badge, length, then the first `shown` MRs (all by default)."""
    return [label, badge, len(mrs), *mrs[:len(mrs) if shown is None else shown]]


def expected(got, sym, t):
    """Every case's words for the kernel described by target t."""
    abi = sel4abi.abi(t.release, mcs=t.mcs, smp=t.smp, hyp=t.hyp)
    cap_f, vm_f = abi.fault_types["CapFault"], abi.fault_types["VMFault"]
    unknown_f, user_f = abi.fault_types["UnknownSyscall"], abi.fault_types["UserException"]
    empty_slot, ep_send = words(got, "ipc.slots")
    svc = sym["probe_syscall_svc"][0]
    unknown_svc = sym["probe_unknown_syscall_svc"][0]
    guard = [GUARD_MISMATCH, 64, 0, ROOT_CNODE_GUARD_BITS]
    missing = [MISSING_CAPABILITY, 0]
    release = int(t.release.split(".")[0])
    want = {
        # Call with six words, queued before the receiver came; a five-word reply.
        "ipc.call_received": [0x777, BADGE_CALL, 6, 0x1000, 0x1001, 0x1002, 0x1003, 0x4444, 0x5555],
        "ipc.call_reply": [0, BADGE_DONE, 8, 0x555, 0, 5, 0x2000, 0x2001, 0x2002, 0x2003, 0x6666],
        # Call through a Write-only cap: delivered, the caller then inactive.
        "ipc.call_no_grant_received": [0x778, BADGE_CALL_NO_GRANT, 1, 0x1234],
        "ipc.call_no_grant_after": [0, 0, 0],
        # ReplyRecv server: label + 1, MR0 * 2, the caller's badge; replies carry badge 0.
        "ipc.reply_recv_first": [2, 0, 2, 42, BADGE_CALL],
        "ipc.reply_recv_second": [6, 0, 2, 0x2000, BADGE_CALL],
        "ipc.nb_recv_nothing": [0, 0, 0],
        "ipc.nb_send_dropped": [0, BADGE_DONE, 2, 0, 0],
        # 0x99b, not the dropped 0x99a: an NBSend nobody waited for is lost.
        "ipc.nb_send_delivered": [0, BADGE_DONE, 5, BADGE_SEND, 0x99b, 2, 0xa, 0xb],
        "ipc.send_blocking": [0, BADGE_DONE, 3, BADGE_SEND, 0x99c, 0xc],
        # No Write right: seL4_InvalidCapability, MR0 = invalid cap number 0.
        "ipc.call_read_only_endpoint": reply(INVALID_CAPABILITY, 0),
        "ipc.call_read_only_notification": reply(INVALID_CAPABILITY, 0),
        "ipc.ntfn_cap_tags": [abi.cap_tags["notification"], abi.cap_tags["endpoint"]],
        "ipc.ntfn_poll_or_clear": [0, BADGE_NTFN_A | BADGE_NTFN_B, 0],
        "ipc.ntfn_call_signals": [0, 0, 0],
        "ipc.ntfn_signalled_by_call_and_nb_send": [BADGE_NTFN_C, BADGE_NTFN_A],
        "ipc.ntfn_wakes_waiter": [0, BADGE_DONE, 1, BADGE_NTFN_C],
        # Cap faults: IP, address, receive phase, lookup failure (+ its words).
        "ipc.fault_cap_send": message(cap_f, BADGE_FAULT, cap_fault([svc, INVALID_CPTR, 0], guard, t)),
        "ipc.fault_cap_send_restarted": message(cap_f, BADGE_FAULT,
                                                cap_fault([svc, INVALID_CPTR, 0], guard, t), 2),
        "ipc.fault_cap_recv_empty_slot": message(cap_f, BADGE_FAULT,
                                                 cap_fault([svc, empty_slot, 1], missing, t)),
        "ipc.fault_cap_recv_without_read": message(cap_f, BADGE_FAULT,
                                                   cap_fault([svc, ep_send, 1], missing, t)),
        "ipc.nb_send_invalid_cptr_no_fault": [0, BADGE_DONE, 0],
        "ipc.fault_cap_nb_recv": message(cap_f, BADGE_FAULT, cap_fault([svc, INVALID_CPTR, 1], guard, t)),
        # VM faults: IP, address, prefetch, FSR.
        "ipc.fault_vm_data": [vm_f, BADGE_FAULT, 4, sym["probe_store_pc"][0], DATA_FAULT_VADDR, 0,
                              DATA_FSR],
        "ipc.fault_vm_data_resolved": [0, BADGE_DONE, 1, 0xfeed],
        "ipc.fault_vm_code": [vm_f, BADGE_FAULT, 4, CODE_FAULT_VADDR, CODE_FAULT_VADDR, 1,
                              esr(EC_IABT_LOWER, TRANSLATION_LEVEL_2)],
        # x0..x7, FaultIP, SP, LR (ELR), SPSR (Z and C set), the number.
        "ipc.fault_unknown_syscall": [unknown_f, BADGE_FAULT, 13,
                                      0x1100, 0x1101, 0x1102, 0x1103, 0x1104, 0x1105, 0x1106,
                                      UNKNOWN_SYSCALL, unknown_svc, "sp", unknown_svc + 4,
                                      0x60000000 | SPSR_EL0T, UNKNOWN_SYSCALL],
        "ipc.fault_unknown_syscall_resumed": [0, BADGE_DONE, 1, 0x600d],
        # FaultIP, SP, SPSR, ESR (EC 0: unknown instruction), code 0.
        "ipc.fault_user_exception": [user_f, BADGE_FAULT, 5, sym["probe_undefined_pc"][0],
                                     "sp", "spsr", esr(EC_UNKNOWN, 0), 0],
        "ipc.fault_user_exception_resumed": [0, BADGE_DONE, 1, 0x777],
        "ipc.no_fault_handler_nothing_sent": [0, 0, 0],
        "ipc.fault_handler_cptr": [ep_send],
        # Whole replies of failed invocations (FailedLookup: source?, then
        # the lookup failure; RangeError: min, max).
        "abi.copy_empty_source": reply(FAILED_LOOKUP, 1, MISSING_CAPABILITY, 64),
        "abi.copy_dest_guard_mismatch": reply(FAILED_LOOKUP, 0, GUARD_MISMATCH, 64, 0,
                                              ROOT_CNODE_GUARD_BITS),
        "abi.copy_src_depth_mismatch": reply(FAILED_LOOKUP, 1, DEPTH_MISMATCH, 63, 64),
        "abi.copy_dest_depth_too_big": reply(RANGE_ERROR, 1, 64),
        "abi.retype_dest_not_cnode": reply(FAILED_LOOKUP, 0, MISSING_CAPABILITY, 64),
        # The level-1 entry for 0x6000000000 is empty: 30 bits (1 GiB) left.
        "abi.page_map_no_table": reply(FAILED_LOOKUP, 0, MISSING_CAPABILITY, 30),
        "abi.domain_set_truncated": reply(TRUNCATED_MESSAGE),
        "abi.domain_set_no_such_domain": reply(INVALID_ARGUMENT, 0),
        "abi.domain_set_no_thread_cap": reply(TRUNCATED_MESSAGE),
        "abi.domain_set_not_a_thread": reply(INVALID_ARGUMENT, 1),
        "abi.domain_set_ok": reply(NO_ERROR),
    }
    if release >= 14:
        want.update({
            # TCB_SetFlags answers the flags it left (fpuDisabled = 1 only).
            "abi.set_flags_truncated": reply(TRUNCATED_MESSAGE),
            "abi.set_flags_fpu_disabled": reply(NO_ERROR, 1),
            "abi.set_flags_unknown_bits_ignored": reply(NO_ERROR, 1),
            "abi.set_flags_cleared": reply(NO_ERROR, 0),
        })
    if release >= 15:
        # Two schedule entries (the second the end marker), one domain.
        want.update({
            "abi.domain_schedule_truncated": reply(TRUNCATED_MESSAGE),
            "abi.domain_schedule_index_past_end": reply(RANGE_ERROR, 0, 0),
            "abi.domain_schedule_no_such_domain": reply(RANGE_ERROR, 0, 0),
            "abi.domain_schedule_duration_too_long": reply(INVALID_ARGUMENT, 2),
            "abi.domain_schedule_start_without_duration": reply(INVALID_ARGUMENT, 2),
            "abi.domain_schedule_ok": reply(NO_ERROR),
            "abi.domain_start_truncated": reply(TRUNCATED_MESSAGE),
            "abi.domain_start_past_end": reply(RANGE_ERROR, 0, 1),
            "abi.domain_start_end_marker": reply(INVALID_ARGUMENT, 0),
            "abi.domain_start_ok": reply(NO_ERROR),
        })
    if t.mcs:
        want.update(expected_mcs(got, sym, t, abi, release, cap_f, empty_slot))
    return want


def expected_mcs(got, sym, t, abi, release, cap_f, empty_slot):
    svc_reply = sym["probe_syscall_reply_svc"][0]
    budget_range = reply(RANGE_ERROR, MIN_BUDGET_US, MAX_PERIOD_US)
    return {
        # Slot 14 holds the root task's SchedContext; one SchedControl per core.
        "mcs.boot_caps": [abi.cap_tags["sched_context"], abi.cap_tags["sched_control"],
                          t.nodes, t.nodes],
        "mcs.configure_truncated": reply(TRUNCATED_MESSAGE),
        "mcs.configure_no_sched_context": reply(TRUNCATED_MESSAGE),
        "mcs.configure_budget_too_small": budget_range,
        "mcs.configure_period_too_long": budget_range,
        "mcs.configure_budget_above_period": reply(RANGE_ERROR, MIN_BUDGET_US, PROBE_BUDGET_US),
        "mcs.configure_not_a_sched_context": reply(INVALID_CAPABILITY, 1),
        # 13.0 and 14.0 check the cap before the times; 15.0 on after them.
        "mcs.configure_not_a_sched_context_budget_above_period":
            reply(INVALID_CAPABILITY, 1) if release < 15 else
            reply(RANGE_ERROR, MIN_BUDGET_US, PROBE_BUDGET_US),
        # A 2^7 SchedContext holds (128 - 96) / 16 = 2 refills, 2^8 holds 10:
        # extra refills beyond the 2 every one has: 0 and 8.
        "mcs.configure_too_many_refills": reply(RANGE_ERROR, 0, 0),
        "mcs.configure_refills_of_a_bigger_one": reply(RANGE_ERROR, 0, 8),
        "mcs.configure_ok": reply(NO_ERROR),
        "mcs.sched_params_truncated": reply(TRUNCATED_MESSAGE),
        "mcs.sched_params_authority_not_a_thread": reply(INVALID_CAPABILITY, 1),
        "mcs.sched_params_priority_above_mcp": reply(RANGE_ERROR, 0, MAX_PRIO),
        "mcs.sched_params_not_a_sched_context": reply(INVALID_CAPABILITY, 2),
        "mcs.sched_params_handler_without_grant": reply(INVALID_CAPABILITY, 3),
        "mcs.sched_params_handler_a_notification": reply(INVALID_CAPABILITY, 3),
        "mcs.sched_params_sched_context_taken": reply(ILLEGAL_OPERATION),
        "mcs.sched_params_unbind_running_thread": reply(ILLEGAL_OPERATION),
        "mcs.sched_params_ok": reply(NO_ERROR),
        # 13.0 refuses the SchedContext the thread already has.
        "mcs.sched_params_same_sched_context": reply(ILLEGAL_OPERATION if release < 14 else NO_ERROR),
        "mcs.tcb_configure_truncated": reply(TRUNCATED_MESSAGE),
        "mcs.set_space_handler_without_grant": reply(INVALID_CAPABILITY, 1),
        "mcs.set_timeout_endpoint_ok": reply(NO_ERROR),
        "mcs.set_timeout_endpoint_without_grant": reply(INVALID_CAPABILITY, 1),
        # 13.0 sets no error for a missing cap: the reply repeats the last one.
        "mcs.set_timeout_endpoint_no_cap": reply(INVALID_CAPABILITY, 1) if release < 14 else
                                            reply(TRUNCATED_MESSAGE),
        "mcs.sc_bind_truncated": reply(TRUNCATED_MESSAGE),
        "mcs.sc_bind_not_a_thread": reply(INVALID_CAPABILITY, 1),
        "mcs.sc_bind_thread_has_one": reply(ILLEGAL_OPERATION),
        "mcs.sc_unbind_object_not_bound": reply(ILLEGAL_OPERATION),
        "mcs.sc_unbind_running_thread": reply(ILLEGAL_OPERATION),
        "mcs.sc_bind_notification": reply(NO_ERROR),
        "mcs.sc_bind_notification_again": reply(ILLEGAL_OPERATION),
        "mcs.sc_unbind_object_notification": reply(NO_ERROR),
        # Resumed without a SchedContext, bound to an unconfigured one: it
        # never runs; configured: it runs at once and signals.
        "mcs.bind_unconfigured": reply(NO_ERROR),
        "mcs.runs_only_with_configured_sched_context": [0, 0, BADGE_T3],
        # A passive server answers on the caller's SchedContext: label + 1, MR0 * 3.
        "mcs.passive_unbind": reply(NO_ERROR),
        "mcs.passive_server_first": [0x442, 0, 1, 21],
        "mcs.passive_server_second": [0x443, 0, 1, 24],
        # A passive waiter runs on its notification's SchedContext while
        # one is bound, giving it back when it waits again; without, not.
        "mcs.waiter_unbind": reply(NO_ERROR),
        "mcs.waiter_bind_notification": reply(NO_ERROR),
        "mcs.waiter_unbind_notification": reply(NO_ERROR),
        "mcs.waiter_runs_on_notification_sched_context": [BADGE_T5, BADGE_T5, 0],
        # A receive with no reply cap in x6: a cap fault on x6's cptr (16.0:
        # MissingCapability for a slot that holds no reply cap).
        "mcs.fault_recv_reply_empty_slot": message(cap_f, BADGE_FAULT, cap_fault(
            [svc_reply, empty_slot, 1], [MISSING_CAPABILITY, 0], t)),
        "mcs.fault_recv_reply_invalid_cptr": message(cap_f, BADGE_FAULT, cap_fault(
            [svc_reply, INVALID_CPTR, 1], [GUARD_MISMATCH, 64, 0, ROOT_CNODE_GUARD_BITS], t)),
        # A Call received by Wait: delivered, the caller stops (no reply object).
        "mcs.call_into_wait_received": [0x779, BADGE_CALL, 1, 0x4321],
        "mcs.call_into_wait_after": [0, 0, 0],
        # A reply object received into again: the caller waiting on it stops.
        "mcs.reply_reused_received": [0x779, BADGE_CALL, 1, 0x4321],
        "mcs.reply_reused_nb_recv": [0, 0, 0],
        "mcs.reply_reused_after": [0, 0, 0],
        "mcs.call_idle_reply": [0, 0, 0],
        # NBSendWait signals x6's notification, then waits on x0's: the same one.
        "mcs.nb_send_wait_signal_then_wait": [0, BADGE_NTFN_C, 0],
        "mcs.set_space_no_fault_handler": reply(NO_ERROR),
    }


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
        elif hyp and w == DATA_FSR:
            w |= h & DABT_INSTRUCTION_SYNDROME
        out.append(w)
    return out


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


def is_hyp(kind):
    return kind.startswith("sel4-") and sel4_param_is_hyp(kind)


def case_prefixes(key):
    return key.split(".", 1)[0] in ("ipc", "abi", "mcs")


def test_every_case(kind, artifacts, booter):
    """Each fact the probe printed has the value seL4 gives in this release
    and configuration, and no fact is missing or unjudged."""
    got, r, sym, t = probe(kind, artifacts, booter)
    want = expected(got, sym, t)
    printed = {k for k in got if case_prefixes(k)} - {"ipc.slots"}
    assert printed == set(want), (f"printed but not judged: {sorted(printed - set(want))}; "
                                  f"judged but not printed: {sorted(set(want) - printed)}")
    wrong = []
    for case in sorted(want):
        have = words(got, case)
        w = want[case]
        if len(have) != len(w) or have != judge(w, have, sym, is_hyp(kind)):
            wrong.append(f"{case}: got {[hex(v) for v in have]}, want "
                         f"{[v if isinstance(v, str) else hex(v) for v in w]}")
    assert not wrong, "\n".join(wrong) + "\n" + r.describe()


def test_abi_is_the_kernels(kind, artifacts, booter):
    """The probe found the release, MCS and SMP of the kernel it runs on (it
    cannot tell 15.0 from 16.0: their numbers agree)."""
    got, r, _, t = probe(kind, artifacts, booter)
    release = t.release.rsplit(".", 1)[0]
    release = "15.0/16.0" if release in ("15.0", "16.0") else release
    assert got["sel4.abi"] == [release, "mcs" if t.mcs else "nonmcs", f"smp={int(t.smp)}"], r.describe()


def fault_report(lines, first):
    start = lines.index(first)
    return lines[start:start + (5 if first.startswith("Caught") else 4) + 16]


def test_no_fault_handler_report(kind, artifacts, booter):
    """seL4's report when the worker faults without a usable handler, then
    only that thread stops (the probe carried on to its end). Non-MCS: the
    fault endpoint cap has no Grant, found at the fault: a double fault.
    MCS: no handler was installed (such a cap is refused when installed):
    seL4's no-fault-handler report. The probe faults with SP in a zeroed
    buffer: all 16 stack words are 0."""
    got, r, sym, t = probe(kind, artifacts, booter)
    _, ep_send = words(got, "ipc.slots")
    fsr = DATA_FSR
    vm_line = f"vm fault on data at address {DOUBLE_FAULT_VADDR:#x} with status "
    if is_hyp(kind):
        seen = [l for l in r.lines if l.startswith(vm_line)]
        assert seen, r.describe()
        fsr |= int(seen[0].rsplit(" ", 1)[1], 16) & DABT_INSTRUCTION_SYNDROME
    if t.mcs:
        head = ["Found thread has no fault handler while trying to handle:", f"{vm_line}{fsr:#x}"]
    else:
        head = [f"Caught cap fault in send phase at address {ep_send:#x}", "while trying to handle:",
                f"{vm_line}{fsr:#x}"]
    assert head[0] in r.lines, r.describe()
    report = fault_report(r.lines, head[0])
    assert report[:len(head)] == head, r.describe()
    assert re.fullmatch(rf"in thread 0x[0-9a-f]+ \"child of: 'rootserver'\" at address "
                        rf"{sym['probe_clean_store_pc'][0]:#x}", report[len(head)]), r.describe()
    sp = sym["clean_stack"][0] + CLEAN_STACK_SP_OFFSET
    assert report[len(head) + 1:] == ["With stack:"] + [f"{sp + 8 * i:#x}: 0x0" for i in range(16)], \
        r.describe()
    assert r.lines.index("roottask: ipc probe done") > r.lines.index(report[0]), r.describe()


def comparable(r, got, hyp=False):
    """The probe's and the kernel's lines, from the probe's start to the
    halt, with what legitimately differs between kernels named instead:
    slot numbers (BootInfo.empty differs), TCB addresses, seL4's userError
    debug lines (the stand-in prints none), and on hyp the instruction
    syndrome a stage-2 abort adds to the FSR."""
    lines = r.lines[r.lines.index("roottask: ipc probe start"):]
    lines = lines[:next(i for i, l in enumerate(lines) if l.startswith("halting..."))]
    empty_slot, ep_send = words(got, "ipc.slots")
    out = []
    for line in lines:
        if "seL4(CPU" in line:
            continue
        line = re.sub(r"thread 0x[0-9a-f]+", "thread <tcb>", line)
        line = re.sub(rf"\b{empty_slot:#x}\b", "<empty_slot>", line)
        line = re.sub(rf"\b{ep_send:#x}\b", "<ep_send>", line)
        if hyp:
            line = re.sub(r"0x9[23][0-9a-f]{6}\b",
                          lambda m: hex(int(m.group(0), 16) & ~DABT_INSTRUCTION_SYNDROME), line)
        out.append(line)
    return out


@pytest.mark.parametrize("sel4", REAL_PARAMS)
def test_standin_prints_what_sel4_prints(sel4, artifacts, booter):
    """The stand-in build of the real kernel's release and configuration
    prints the same lines (facts, fault reports) as the real kernel."""
    build = paired_build(kernel_path(sel4))
    sel4_got, sel4_run, _, _ = probe(sel4, artifacts, booter)
    got, run, _, _ = probe(f"standin-{build}", artifacts, booter)
    theirs, ours = comparable(sel4_run, sel4_got, is_hyp(sel4)), comparable(run, got)
    assert ours == theirs, f"stand-in {build} against {sel4}:\n" + "\n".join(
        f"{'  ' if a == b else '! '}{a!r}\n  {b!r}" for a, b in zip(ours, theirs))


@pytest.mark.parametrize("build", [b for b in BUILDS if "smp" in b])
def test_smp_builds_print_what_their_single_core_build_prints(build, artifacts, booter):
    """Only the boot core runs threads: IPC, faults and (MCS) scheduling
    contexts are the same as on one core; only the core count and the SMP
    invocation numbering the probe reports differ."""
    single = build.replace("-smp4", "")
    smp_got, smp_run, _, _ = probe(f"standin-{build}", artifacts, booter)
    got, run, _, _ = probe(f"standin-{single}", artifacts, booter)

    def same(lines):
        return [l for l in lines if not l.startswith(("roottask: sel4.abi", "roottask: mcs.boot_caps"))]
    assert same(comparable(smp_run, smp_got)) == same(comparable(run, got))
    if "mcs" in build:
        assert words(smp_got, "mcs.boot_caps")[2:] == [4, 4]
