"""The loader's hand-off, observed by a probe kernel on QEMU: registers,
exception level, translation state and memory contents are what seL4
requires, as computed from the ELF files by bootcheck.kernel.expect."""

import re

import pytest

from bootcheck.boot import qemu_machine
from bootcheck.boot.qemu import DEFAULT_STOP_PATTERNS
from bootcheck.kernel import expect

pytestmark = pytest.mark.qemu

MAIR_DEVICE_nGnRnE = 0x00
MAIR_NORMAL_WB = 0xff


def probe_lines(serial):
    values = {}
    for kind in ("regs", "state", "memory"):
        m = re.search(rf"^probe: {kind} (.*)$", serial, re.M)
        assert m, f"probe printed no '{kind}' line; serial:\n{serial}"
        for kv in m.group(1).split():
            name, value = kv.split("=")
            values[name] = int(value, 16)
    return values


CASES = [
    # id, probe, started at EL2 (an EL1 kernel: the loader drops), cpu, expected EL at kernel entry
    ("el1-virt-a53", "probe_el1", False, "cortex-a53", 1),
    ("el1-from-el2-a57", "probe_el1", True, "cortex-a57", 1),
    ("el1-virt-a72", "probe_el1", False, "cortex-a72", 1),
    ("hyp-el2-a53", "probe_hyp", False, "cortex-a53", 2),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtb_source", ["payload", "qemu"])
def test_probe_kernel_sees_sel4_handoff(case, dtb_source, artifacts, booter):
    _, probe_attr, from_el2, cpu, want_el = case
    probe = getattr(artifacts, probe_attr)
    dtb = artifacts.virt_dtb if dtb_source == "payload" else None
    image = booter.pack(probe, artifacts.roottask, dtb=dtb)
    r = booter.boot(image, from_el2=from_el2, cpu=cpu, timeout=20,
                    stop_patterns=DEFAULT_STOP_PATTERNS + ("probe: done",))
    assert "probe: done" in r.serial, r.describe()

    printed = expect.parse_loader_handoff(r.serial)
    assert printed is not None, r.describe()
    # QEMU's blob is generated at run time: the placement must follow from
    # the packed size the loader printed for it.
    dtb_size = expect.handed_over_dtb_size(dtb, r.serial)
    assert dtb_size is not None, r.describe()
    want = expect.expected_handoff(probe, artifacts.roottask, dtb_size)
    got = probe_lines(r.serial)

    for i in range(6):
        assert got[f"x{i}"] == want.x[i], (
            f"x{i}: kernel received 0x{got[f'x{i}']:x}, expected 0x{want.x[i]:x}\n{r.describe()}")
    assert printed == want.x, "the loader's printed hand-off differs from what the kernel received"

    assert got["el"] == want_el
    assert got["daif"] == 0x3c0, f"DAIF 0x{got['daif']:x}: interrupts must be masked"
    sctlr = got["sctlr"]
    assert sctlr & 1, "SCTLR.M: the MMU must be on at kernel entry"
    assert sctlr & (1 << 2) and sctlr & (1 << 12), "SCTLR.C and .I: caches on"
    if want_el == 1:
        # seL4 keeps SCTLR_EL1.nTWI/nTWE as it finds them: 0 would trap its
        # user threads' WFI / WFE (scenarios boot-el1/boot-smp check them
        # again at the root task's entry, after seL4's head.S).
        assert sctlr & (1 << 16) and sctlr & (1 << 18), f"SCTLR_EL1 0x{sctlr:x}: nTWI and nTWE must be 1"
    mair = got["mair"]
    assert (mair >> 0) & 0xff == MAIR_DEVICE_nGnRnE, f"MAIR idx0 of 0x{mair:x}"
    assert (mair >> 32) & 0xff == MAIR_NORMAL_WB, f"MAIR idx4 of 0x{mair:x}"
    tcr = got["tcr"]
    if want_el == 2:
        assert tcr == 0x80823510, f"TCR_EL2 0x{tcr:x}: seL4's checkTCR_EL2 wants 0x80823510"
        assert got["hcr"] == 0
    else:
        assert tcr & 0x3f == 16 and (tcr >> 16) & 0x3f == 16, f"T0SZ/T1SZ of TCR 0x{tcr:x}"
        assert (tcr >> 14) & 3 == 0 and (tcr >> 30) & 3 == 2, f"4K granules in TCR 0x{tcr:x}"
        assert tcr & (1 << 36), f"TCR.AS (16-bit ASIDs) of 0x{tcr:x}"
        assert not tcr & (1 << 23) and not tcr & (1 << 7), "TTBR walks must be enabled"
        assert got["ttbr1"] != 0
    assert got["bss_nonzero_bytes"] == 0, "the loader did not zero the kernel's .bss"
    assert got["data_ok"] == 1, "the kernel's .data was not copied byte for byte"


def test_hyp_kernel_refused_at_el1(artifacts, booter):
    image = booter.pack(artifacts.probe_hyp, artifacts.roottask)
    r = booter.boot(image, machine=qemu_machine.machine_at_el(1), timeout=10,
                    deliberate="the loader must refuse a hyp kernel when the CPU starts at EL1")
    assert r.exit_code == 0 and not r.timed_out, r.describe()
    assert ("loader: error: kernel is a hyp (EL2) kernel (entry 0x8060000000) but the CPU "
            "started at EL1; run it with -machine virt,virtualization=on") in r.serial
    assert "jumping to kernel" not in r.serial
