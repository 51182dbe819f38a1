"""The seL4 ABI table (targets/abi/sel4-abi.toml): its numbers against the
values measured on real builds and written down in shared/sel4-aarch64-
handoff.md (13.0.0) and shared/sel4-releases.md (13.0.0 against 16.0.0),
the C table against the Python reader, the root task's release probes
against the table, and the table's error messages. The full comparison
with a real build's generated headers is abi_check.py (test_abi_check.py)."""

import os
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

sys.path.insert(0, os.path.join(ROOT, "targets", "abi"))
import sel4abi  # noqa: E402

pytestmark = pytest.mark.unit

# handoff.md §5, seL4 13.0.0 non-MCS single-core EL1 (hyp: the VCPU block).
LABELS_13 = {
    "UntypedRetype": 1, "TCBReadRegisters": 2, "TCBWriteRegisters": 3, "TCBCopyRegisters": 4,
    "TCBConfigure": 5, "TCBSetPriority": 6, "TCBSetMCPriority": 7, "TCBSetSchedParams": 8,
    "TCBSetIPCBuffer": 9, "TCBSetSpace": 10, "TCBSuspend": 11, "TCBResume": 12,
    "TCBBindNotification": 13, "TCBUnbindNotification": 14, "TCBSetTLSBase": 15,
    "CNodeRevoke": 16, "CNodeDelete": 17, "CNodeCancelBadgedSends": 18, "CNodeCopy": 19,
    "CNodeMint": 20, "CNodeMove": 21, "CNodeMutate": 22, "CNodeRotate": 23, "CNodeSaveCaller": 24,
    "IRQIssueIRQHandler": 25, "IRQAckIRQ": 26, "IRQSetIRQHandler": 27, "IRQClearIRQHandler": 28,
    "DomainSetSet": 29, "ARMVSpaceClean_Data": 30, "ARMVSpaceInvalidate_Data": 31,
    "ARMVSpaceCleanInvalidate_Data": 32, "ARMVSpaceUnify_Instruction": 33, "ARMSMCCall": 34,
    "ARMPageTableMap": 35, "ARMPageTableUnmap": 36, "ARMPageMap": 37, "ARMPageUnmap": 38,
    "ARMPageClean_Data": 39, "ARMPageInvalidate_Data": 40, "ARMPageCleanInvalidate_Data": 41,
    "ARMPageUnify_Instruction": 42, "ARMPageGetAddress": 43, "ARMASIDControlMakePool": 44,
    "ARMASIDPoolAssign": 45, "ARMIRQIssueIRQHandlerTrigger": 46,
}


def test_13_0_labels_as_measured():
    a = sel4abi.abi("13.0.0")
    assert a.labels == LABELS_13
    assert a.n_invocation_labels == 30 and a.label_list_starts[-1] == 47
    hyp = sel4abi.abi("13.0.0", hyp=True)
    assert [hyp.labels[m] for m in ("ARMVCPUSetTCB", "ARMVCPUInjectIRQ", "ARMVCPUReadReg",
                                    "ARMVCPUWriteReg", "ARMVCPUAckVPPI",
                                    "ARMIRQIssueIRQHandlerTrigger")] == [46, 47, 48, 49, 50, 51]
    assert hyp.label_list_starts[-1] == 52
    assert all(hyp.labels[m] == n for m, n in LABELS_13.items() if n <= 45)


def test_16_0_labels_as_measured():
    """sel4-releases.md's table, 16.0.0 column."""
    a = sel4abi.abi("16.0.0")
    want = {"UntypedRetype": 1, "TCBSetTLSBase": 15, "TCBSetFlags": 16, "CNodeRevoke": 17,
            "CNodeCopy": 20, "CNodeMint": 21, "CNodeSaveCaller": 25, "IRQIssueIRQHandler": 26,
            "IRQClearIRQHandler": 29, "DomainSetSet": 30, "DomainScheduleConfigure": 31,
            "DomainScheduleSetStart": 32, "ARMVSpaceClean_Data": 33, "ARMSMCCall": 37,
            "ARMPageTableMap": 38, "ARMPageTableUnmap": 39, "ARMPageMap": 40, "ARMPageUnmap": 41,
            "ARMPageGetAddress": 46, "ARMASIDControlMakePool": 47, "ARMASIDPoolAssign": 48,
            "ARMIRQIssueIRQHandlerTrigger": 49}
    assert {m: a.labels[m] for m in want} == want
    assert a.n_invocation_labels == 33
    hyp = sel4abi.abi("16.0.0", hyp=True)
    assert [hyp.labels[m] for m in ("ARMVCPUSetTCB", "ARMVCPUAckVPPI",
                                    "ARMIRQIssueIRQHandlerTrigger")] == [49, 53, 54]
    mcs = sel4abi.abi("16.0.0", mcs=True)
    assert mcs.labels["TCBSetFlags"] == 17 and mcs.labels["SchedControlConfigureFlags"] == 33
    assert [mcs.labels[m] for m in ("SchedContextBind", "SchedContextUnbind",
                                    "SchedContextUnbindObject", "SchedContextConsumed",
                                    "SchedContextYieldTo")] == [34, 35, 36, 37, 38]
    mcs13 = sel4abi.abi("13.0.0", mcs=True)
    assert mcs13.labels["SchedControlConfigureFlags"] == 30
    assert mcs13.labels["SchedContextYieldTo"] == 35


def test_smp_shift_as_measured():
    """roottask/README.md: an SMP 13.0.0 numbers every label after
    TCBUnbindNotification one higher (TCBSetAffinity)."""
    up, smp = sel4abi.abi("13.0.0"), sel4abi.abi("13.0.0", smp=True)
    assert smp.labels["TCBSetAffinity"] == 15
    for m, n in LABELS_13.items():
        assert smp.labels[m] == (n + 1 if n > 14 else n), m
    # MCS has no TCBSetAffinity: its SMP labels are its single-core ones
    # up to the last one both have.
    mcs_up, mcs_smp = sel4abi.abi("16.0.0", mcs=True), sel4abi.abi("16.0.0", mcs=True, smp=True)
    assert "TCBSetAffinity" not in mcs_smp.labels
    assert mcs_smp.labels["ARMASIDPoolAssign"] == mcs_up.labels["ARMASIDPoolAssign"]
    assert "ARMIRQIssueSGISignal" in mcs_up.labels and "ARMIRQIssueSGISignal" not in mcs_smp.labels
    assert "ARMIRQIssueIRQHandlerTriggerCore" in mcs_smp.labels
    assert up.labels == LABELS_13


def test_syscalls_as_measured():
    non_mcs = ["Call", "ReplyRecv", "Send", "NBSend", "Recv", "Reply", "Yield", "NBRecv",
               "DebugPutChar", "DebugDumpScheduler", "DebugHalt", "DebugCapIdentify",
               "DebugSnapshot", "DebugNameThread"]
    mcs = ["Call", "ReplyRecv", "NBSendRecv", "NBSendWait", "Send", "NBSend", "Recv", "NBRecv",
           "Wait", "NBWait", "Yield", "DebugPutChar", "DebugDumpScheduler", "DebugHalt"]
    for release in ("13.0.0", "16.0.0"):
        a = sel4abi.abi(release)
        assert a.syscalls == {name: -1 - i for i, name in enumerate(non_mcs)}
        m = sel4abi.abi(release, mcs=True)
        assert {name: m.syscalls[name] for name in mcs} == {name: -1 - i for i, name in enumerate(mcs)}
    # 16.0.0 adds DebugGetThreadAffinity at -16 in SMP debug builds.
    assert sel4abi.abi("16.0.0", smp=True).syscalls["DebugGetThreadAffinity"] == -16
    assert "DebugGetThreadAffinity" not in sel4abi.abi("16.0.0").syscalls
    assert sel4abi.abi("13.0.0", smp=True).syscalls["DebugSendIPI"] == -15


def test_objects_bootinfo_tags_as_measured():
    a, m = sel4abi.abi("13.0.0"), sel4abi.abi("16.0.0", mcs=True)
    assert a.object_types == {"Untyped": 0, "TCB": 1, "Endpoint": 2, "Notification": 3,
                              "CapTable": 4, "ARM_HugePage": 5, "ARM_VSpace": 6,
                              "ARM_SmallPage": 7, "ARM_LargePage": 8, "ARM_PageTable": 9}
    assert sel4abi.abi("13.0.0", hyp=True).object_types["ARM_VCPU"] == 10
    assert (m.object_types["SchedContext"], m.object_types["Reply"],
            m.object_types["ARM_HugePage"], m.object_types["ARM_PageTable"]) == (5, 6, 7, 11)
    assert (a.object_bits["Notification"], m.object_bits["Notification"]) == (5, 6)
    assert sel4abi.abi("16.0.0", hyp=True).object_bits["ARM_VSpace"] == 13
    assert a.object_bits["ARM_VSpace"] == 12 and a.object_bits["TCB"] == 11
    assert (a.bootinfo["untyped"], a.bootinfo["untypedList"], a.bootinfo_size) == (152, 168, 3848)
    assert (m.bootinfo["schedcontrol"], m.bootinfo["untyped"], m.bootinfo["untypedList"],
            m.bootinfo_size) == (152, 168, 184, 3864)
    assert "schedcontrol" not in a.bootinfo
    assert a.initial_caps["InitThreadSC"] == 14 and a.initial_caps["SMC"] == 15
    assert len(a.initial_caps) == 16
    tags = {"null": 0, "frame": 1, "untyped": 2, "page_table": 3, "endpoint": 4,
            "notification": 6, "reply": 8, "vspace": 9, "cnode": 10, "asid_control": 11,
            "thread": 12, "asid_pool": 13, "irq_control": 14, "irq_handler": 16, "zombie": 18,
            "domain": 20}
    assert {t: a.cap_tags[t] for t in tags} == tags
    assert "sched_context" not in a.cap_tags
    assert (m.cap_tags["sched_context"], m.cap_tags["sched_control"]) == (22, 24)
    assert a.errors["NotEnoughMemory"] == 10 and a.errors["TruncatedMessage"] == 7
    assert (a.fault_types["VMFault"], m.fault_types["VMFault"], m.fault_types["Timeout"]) == (5, 6, 5)
    assert a.fault_messages["VMFault"]["FSR"] == 3
    assert a.fault_messages["UnknownSyscall"]["Syscall"] == 12
    assert m.bootinfo_fill_order.index("schedcontrol") == m.bootinfo_fill_order.index("extraBIPages") + 1


@pytest.mark.parametrize("mcs", [False, True], ids=["nonmcs", "mcs"])
@pytest.mark.parametrize("smp", [False, True], ids=["up", "smp"])
def test_release_probes_tell_releases_apart(mcs, smp):
    """The root task's probes (targets/abi/README.md): the label it sends
    for each probe must name no method of the cap's object in the older
    release and the probed method from the newer one on; 15.0.0 and 16.0.0,
    which it cannot tell apart, must number every method alike."""
    r13, r14, r15, r16 = (sel4abi.abi(r, mcs, smp) for r in sel4abi.RELEASES)
    tcb_probe = r14.labels["TCBSetFlags"]
    tcb_methods = {n for m, n in r13.labels.items() if m.startswith("TCB")}
    assert tcb_probe not in tcb_methods
    assert r15.labels["TCBSetFlags"] == r16.labels["TCBSetFlags"] == tcb_probe
    domain_probe = r15.labels["DomainScheduleConfigure"]
    assert domain_probe != r14.labels["DomainSetSet"]
    assert r16.labels["DomainScheduleConfigure"] == domain_probe
    for hyp in (False, True):
        a15, a16 = sel4abi.abi("15.0.0", mcs, smp, hyp), sel4abi.abi("16.0.0", mcs, smp, hyp)
        assert a15.labels == a16.labels
        assert a15.object_types == a16.object_types and a15.bootinfo == a16.bootinfo
        used = ("Call", "ReplyRecv", "Send", "NBSend", "Recv", "Reply", "Yield", "NBRecv", "Wait",
                "NBWait", "DebugPutChar", "DebugCapIdentify", "DebugHalt")
        assert {s: a15.syscalls.get(s) for s in used} == {s: a16.syscalls.get(s) for s in used}


def test_detected_release_tokens():
    assert sel4abi.detected_releases("15.0/16.0") == ["15.0.0", "16.0.0"]
    assert sel4abi.detected_releases("13.0") == ["13.0.0"]
    assert sel4abi.parse_abi_name("13.0.0-mcs-smp") == ("13.0.0", True, True, False)
    assert sel4abi.parse_abi_name("16-hyp") == ("16.0.0", False, False, True)


def test_bad_names_get_one_clear_error():
    with pytest.raises(sel4abi.AbiError, match=r"seL4 12\.0\.0 is not in the table \(known: 13\.0\.0"):
        sel4abi.abi("12.0.0")
    with pytest.raises(sel4abi.AbiError, match=r"not a release number: 'x'"):
        sel4abi.abi("x")
    with pytest.raises(sel4abi.AbiError, match=r"13\.0-mcs-quad: unknown part 'quad'"):
        sel4abi.parse_abi_name("13.0-mcs-quad")
    with pytest.raises(sel4abi.AbiError, match=r"13\.0\.0-nonmcs-up-el1 has no invocation TCBSetFlags"):
        sel4abi.abi("13.0.0").label("TCBSetFlags")
    with pytest.raises(sel4abi.AbiError, match=r"FOO is neither varying nor fixed"):
        sel4abi.evaluate("FOO && KERNEL_MCS", sel4abi.config_of(True, False, False))


def test_c_table_matches_python():
    """build/abi/table-dump prints the generated C table; every number must
    be sel4abi.py's, for every configuration of every architecture."""
    dump = os.path.join(BUILD, "abi", "table-dump")
    if not os.path.exists(dump):
        pytest.fail(f"{dump} is missing: run `make all` first")
    got = {}
    for line in subprocess.run([dump], check=True, capture_output=True, text=True).stdout.splitlines():
        config, kind, name, *values = line.split()
        got[(config, kind, name)] = values
    want = {}
    for c in sel4abi.all_configurations():
        a = sel4abi.abi(*c)
        want[(a.name, "release", a.release)] = []
        for kind, value in (("n_invocation_labels", a.label_list_starts[1]),
                            ("n_sel4_arch_invocation_labels", a.label_list_starts[2]),
                            ("n_arch_invocation_labels", a.label_list_starts[3]),
                            ("object_type_count", a.object_type_count)):
            want[(a.name, "count", kind)] = [str(value)]
        want.update({(a.name, "label", m): [str(n)] for m, n in a.labels.items()})
        want.update({(a.name, "syscall", s): [str(n)] for s, n in a.syscalls.items()})
        want.update({(a.name, "object", o): [str(n), str(a.object_bits[o])]
                     for o, n in a.object_types.items()})
        want.update({(a.name, "fault", f): [str(n)] for f, n in a.fault_types.items()})
        want.update({(a.name, "cap_tag", t): [str(n)] for t, n in a.cap_tags.items()})
        for field, value in (("size", a.bootinfo_size), ("schedcontrol", a.bootinfo.get("schedcontrol", 0)),
                             ("untyped", a.bootinfo["untyped"]), ("untypedList", a.bootinfo["untypedList"])):
            want[(a.name, "bootinfo", field)] = [str(value)]
        want[(a.name, "constant", "UserTop")] = [hex(a.constants["UserTop"])]
    assert len(want) == len(got) and want == got


def test_root_task_reads_moved_bootinfo_fields_through_the_abi():
    """`untyped` and `untypedList` move on MCS: code that runs on any kernel
    (the root task, its components, errprobe) must read them at the ABI
    table's offsets (kernel_abi.h), never as seL4_BootInfo's fields."""
    import re
    offenders = []
    for top in ("roottask", os.path.join("fixtures", "components")):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith((".c", ".h")):
                    path = os.path.join(dirpath, name)
                    for n, line in enumerate(open(path), 1):
                        if re.search(r"\bbi->(untyped|untypedList)\b", line):
                            offenders.append(f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()}")
    assert offenders == []


# seL4 13.0.0 for qemu-riscv-virt (riscv64, Sv39), non-MCS single-core: its
# generated sel4/arch/invocation.h and objecttype.h, read on a real build.
RISCV_ARCH_LABELS_13 = {
    "RISCVPageTableMap": 30, "RISCVPageTableUnmap": 31, "RISCVPageMap": 32, "RISCVPageUnmap": 33,
    "RISCVPageGetAddress": 34, "RISCVASIDControlMakePool": 35, "RISCVASIDPoolAssign": 36,
    "RISCVIRQIssueIRQHandlerTrigger": 37,
}


def test_riscv64_13_0_as_measured():
    a = sel4abi.abi("13.0.0", arch="riscv64")
    assert a.name == "13.0.0-nonmcs-up-riscv64"
    generic = {m: n for m, n in LABELS_13.items() if n < 30}
    assert a.labels == {**generic, **RISCV_ARCH_LABELS_13}
    assert a.label_list_starts == (1, 30, 30, 38)   # no sel4_arch methods on riscv64
    assert a.object_types == {"Untyped": 0, "TCB": 1, "Endpoint": 2, "Notification": 3, "CapTable": 4,
                              "RISCV_Giga_Page": 5, "RISCV_4K_Page": 6, "RISCV_Mega_Page": 7,
                              "RISCV_PageTable": 8}
    assert a.object_bits["TCB"] == 10 and a.object_bits["RISCV_PageTable"] == 12
    assert a.constants["UserTop"] == 0x3ffffff000 and a.constants["MaxUntypedBits"] == 38
    assert "FastMessageRegisters" not in a.constants
    # A VSpace is a page table: no vspace cap tag.
    assert a.cap_tags["page_table"] == 3 and "vspace" not in a.cap_tags
    assert a.fault_types["VMFault"] == 5 and "VGICMaintenance" not in a.fault_types
    assert a.fault_messages["UserException"] == {"FaultIP": 0, "SP": 1, "Number": 2, "Code": 3}
    assert a.fault_messages["UnknownSyscall"]["Syscall"] == 10
    assert a.bootinfo == sel4abi.abi("13.0.0").bootinfo


def test_riscv64_releases_and_flavours():
    """14.0.0 turns the FPU on by default (TCB 2^11); TCBSetFlags and 15.0's
    domain methods shift the RISC-V labels as they shift ARM's; MCS moves
    VMFault to 6; SMP adds TCBSetAffinity without MCS only."""
    assert sel4abi.abi("14.0.0", arch="riscv64").object_bits["TCB"] == 11
    r16 = sel4abi.abi("16.0.0", arch="riscv64")
    assert r16.labels["RISCVPageTableMap"] == 33 and r16.labels["RISCVASIDPoolAssign"] == 39
    mcs = sel4abi.abi("16.0.0", mcs=True, arch="riscv64")
    assert mcs.labels["RISCVPageTableMap"] == 39 and mcs.fault_types["VMFault"] == 6
    assert mcs.object_types["RISCV_PageTable"] == 10
    smp = sel4abi.abi("16.0.0", smp=True, arch="riscv64")
    assert smp.labels["TCBSetAffinity"] == 15 and smp.labels["RISCVPageTableMap"] == 34
    assert smp.syscalls["DebugGetThreadAffinity"] == -16


def test_riscv64_names_and_errors():
    assert sel4abi.parse_abi_name("16.0.0-mcs-smp-riscv64", with_arch=True) == \
        ("16.0.0", True, True, False, "riscv64")
    with pytest.raises(sel4abi.AbiError, match="riscv64 has no hyp configuration"):
        sel4abi.abi("16.0.0", hyp=True, arch="riscv64")
    with pytest.raises(sel4abi.AbiError, match="el1/hyp name AArch64 configurations"):
        sel4abi.parse_abi_name("16.0.0-el1-riscv64", with_arch=True)
    with pytest.raises(sel4abi.AbiError, match=r"architecture 'x86_64' is not in the table"):
        sel4abi.abi("16.0.0", arch="x86_64")
    assert len(list(sel4abi.all_configurations())) == 32 + 16
