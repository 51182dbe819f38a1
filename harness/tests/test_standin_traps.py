"""What the stand-in kernel does after boot, driven by tiny root tasks that
are assembled here: the debug syscalls work; a user fault of the root task
(which has no fault handler) gets seL4's double-fault report (MCS: its
no-fault-handler report) and stops that thread, and with no runnable thread left the stand-in says so and powers
QEMU off (seL4 would idle); a syscall the stand-in does not offer ends the
run with one line naming it (ESR/ELR/FAR decoded). Never a silent hang. With
SEL4_KERNEL, real seL4 (EL1) must print the same fault report. The syscall
numbers are those of the kernel's release and configuration (targets/abi):
the tiny root tasks also run on the stand-in's 16.0.0 MCS build, where a
fault without handler gets seL4's MCS report instead."""

import os
import re
import subprocess
import sys

import pytest

from bootcheck.kernel import expect, target
from conftest import KERNEL_PARAMS, ROOT, kernel_choice, sel4_param_is_hyp
from standin_support import require_build

sys.path.insert(0, os.path.join(ROOT, "targets", "abi"))
import sel4abi  # noqa: E402

pytestmark = pytest.mark.qemu

# Assembled and linked without the compiler driver (which would start the
# preprocessor and collect2 besides): the sources use no preprocessor.
AS = os.environ.get("CROSS", "aarch64-linux-gnu-") + "as"
LD = os.environ.get("CROSS", "aarch64-linux-gnu-") + "ld"

# Each root task prints a banner through DebugPutChar, then runs `body`.
# `trap_pc` labels the instruction that is expected to trap. {Name} is the
# number of syscall Name on the kernel booted (sel4abi).
PROLOGUE = r"""
    .text
    .global _start
_start:
    adr     x20, banner
1:  ldrb    w0, [x20], #1
    cbz     w0, 2f
    mov     x7, #{DebugPutChar}
    svc     #0
    b       1b
2:
"""
EPILOGUE = r"""
    b       .
banner: .asciz "tiny root task\n"
"""

BODIES = {
    "unsupported-syscall": r"""
    mov     x7, #{DebugDumpScheduler}
    .global trap_pc
trap_pc:
    svc     #0
""",
    "recv-null-cap": r"""
    mov     x0, #0
    mov     x7, #{Recv}
    .global trap_pc
trap_pc:
    svc     #0
""",
    "data-abort": r"""
    mov     x1, #0x10000000
    .global trap_pc
trap_pc:
    str     x0, [x1]
""",
    "undefined-instruction": r"""
    .global trap_pc
trap_pc:
    .word   0
""",
    "kernel-address-read": r"""
    ldr     x1, =0xffffff8040000000
    .global trap_pc
trap_pc:
    ldr     x0, [x1]
""",
    "identify-yield-halt": r"""
    mov     x7, #{Yield}
    svc     #0
    mov     x0, #3
    mov     x7, #{DebugCapIdentify}
    svc     #0
    add     x0, x0, #'A'
    mov     x7, #{DebugPutChar}
    svc     #0
    mov     x0, #'\n'
    svc     #0
    mov     x0, #4096
    mov     x7, #{DebugCapIdentify}
    svc     #0
    add     x0, x0, #'A'
    mov     x7, #{DebugPutChar}
    svc     #0
    mov     x0, #'\n'
    svc     #0
    mov     x7, #{DebugHalt}
    .global trap_pc
trap_pc:
    svc     #0
""",
}


def syscalls_of(kernel):
    """The syscall numbers of the kernel's release and configuration."""
    t = target.read(kernel)
    return sel4abi.abi(t.release, mcs=t.mcs, smp=t.smp, hyp=t.hyp).syscall_numbers


def build_roottask(tmp_path, name, kernel):
    src = tmp_path / f"{name}.s"
    obj = tmp_path / f"{name}.o"
    elf = tmp_path / f"{name}.elf"
    numbers = syscalls_of(kernel)
    src.write_text(re.sub(r"\{(\w+)\}", lambda m: str(numbers[m.group(1)]),
                          PROLOGUE + BODIES[name] + EPILOGUE))
    subprocess.run([AS, str(src), "-o", str(obj)], check=True, capture_output=True, text=True)
    subprocess.run([LD, "-static", "--build-id=none", "-Ttext=0x400000", "-e", "_start", str(obj),
                    "-o", str(elf)], check=True, capture_output=True, text=True)
    return str(elf), expect.elf_facts(str(elf)).symbols["trap_pc"][0]


def boot_tiny(name, artifacts, booter, tmp_path, kernel=None):
    """Boots a tiny root task; on the stand-in the run must end with QEMU
    powering off, on seL4 (which idles) at the last line of the fault
    report (16 stack words from SP 0)."""
    kernel = kernel or artifacts.standin_kernel
    roottask, trap_pc = build_roottask(tmp_path, name, kernel)
    # The fixture DTB lists one CPU: an SMP kernel boots with QEMU's own.
    image = booter.pack(kernel, roottask,
                        **({"dtb": artifacts.virt_dtb} if target.read(kernel).cores == 1 else {}))
    standin = target.read(kernel).kind == "stand-in"
    r = booter.boot(image, timeout=30, stop_patterns=() if standin else ("0x78: ",))
    assert "tiny root task" in r.serial, r.describe()
    if standin:
        # No stop pattern: only QEMU exiting (PSCI SYSTEM_OFF) ends the run.
        assert not r.timed_out and r.stopped_on is None, (
            f"the stand-in must power QEMU off\n{r.describe()}")
    return r, trap_pc


def one_line(r, prefix):
    hits = [l for l in r.lines if l.startswith(prefix)]
    assert len(hits) == 1, f"want one line starting {prefix!r}\n{r.describe()}"
    return hits[0]


# The stand-in's builds these tests also boot (beside kernel.elf): 16.0.0 MCS.
STANDIN_BUILDS = ["standin-16.0.0-mcs"]


def standin_kernel(param, artifacts):
    return artifacts.standin_kernel if param == "standin" else require_build(param[len("standin-"):])


@pytest.mark.parametrize("standin", ["standin"] + STANDIN_BUILDS)
def test_unsupported_syscall(standin, artifacts, booter, tmp_path):
    """DebugDumpScheduler: a real seL4 syscall the stand-in does not offer."""
    kernel = standin_kernel(standin, artifacts)
    number = syscalls_of(kernel)["DebugDumpScheduler"]
    r, pc = boot_tiny("unsupported-syscall", artifacts, booter, tmp_path, kernel=kernel)
    line = one_line(r, f"stand-in: unsupported syscall {number} (seL4_SysDebugDumpScheduler)")
    assert line == (f'stand-in: unsupported syscall {number} (seL4_SysDebugDumpScheduler) from user '
                    f'thread "rootserver" at pc 0x{pc:x} (ESR_EL1 0x56000000: EC 0x15 SVC from '
                    f'AArch64; ELR_EL1 0x{pc + 4:x}; FAR_EL1 0x0), halting'), r.describe()


# ESR: EC << 26 | IL (bit 25) | ISS.
IL = 1 << 25
# The fault each tiny root task raises, as seL4's print_fault words it.
FAULTS = {
    # A store to an address below the root task's level-2 table: translation
    # fault level 2 (DFSC 0b000110), write (WnR, bit 6).
    "data-abort": f"vm fault on data at address 0x10000000 with status {0x24 << 26 | IL | 1 << 6 | 0b000110:#x}",
    # A load from the kernel window, which seL4 maps in 2 MiB blocks:
    # permission fault level 2 (DFSC 0b001110), read.
    "kernel-address-read": f"vm fault on data at address 0xffffff8040000000 with status "
                           f"{0x24 << 26 | IL | 0b001110:#x}",
    # All-zero word: EC 0 (unknown reason); seL4 passes ESR as the number, code 0.
    "undefined-instruction": f"user exception {0x00 << 26 | IL:#x} code 0",
    # Recv on cptr 0 (the null slot): a cap fault in the receive phase.
    "recv-null-cap": "cap fault in receive phase at address 0",
}


# How seL4 opens the report of a fault nobody handles. Non-MCS: the
# missing fault handler (cptr 0) is a second fault, a double fault. MCS: the
# thread has no handler cap installed.
DOUBLE_FAULT_HEAD = ["Caught cap fault in send phase at address 0", "while trying to handle:"]
NO_HANDLER_HEAD = ["Found thread has no fault handler while trying to handle:"]


def fault_report(r, head):
    assert head[0] in r.lines, r.describe()
    start = r.lines.index(head[0])
    return r.lines[start:start + len(head) + 3 + 16]


@pytest.fixture(params=KERNEL_PARAMS + STANDIN_BUILDS)
def kernel(request, artifacts):
    if request.param in STANDIN_BUILDS:
        return request.param, standin_kernel(request.param, artifacts)
    if sel4_param_is_hyp(request.param):
        pytest.skip("the tiny root tasks fault at EL1-build addresses (the kernel window); "
                    "test_standin_ipc.py covers faults on the hyp build")
    return request.param, kernel_choice(request.param, artifacts)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_root_task_fault_report(name, kernel, artifacts, booter, tmp_path):
    """The root task has no fault handler (fault endpoint cptr 0, a null
    cap): seL4 reports the second fault (the handler lookup) and the first,
    stops the thread and runs on; with nothing left to run, the stand-in
    powers off with one line."""
    kind, path = kernel
    r, pc = boot_tiny(name, artifacts, booter, tmp_path, kernel=path)
    head = NO_HANDLER_HEAD if target.read(path).mcs else DOUBLE_FAULT_HEAD
    report = fault_report(r, head)
    n = len(head)
    assert report[:n + 1] == head + [FAULTS[name]], r.describe()
    assert re.fullmatch(rf'in thread 0xffffff807ff[0-9a-f]{{5}} "rootserver" at address 0x{pc:x}',
                        report[n + 1]), r.describe()
    # SP_EL0 is 0 in these root tasks: no stack word is mapped.
    assert report[n + 2:] == ["With stack:"] + [f"0x{8 * i:x}: INVALID" for i in range(16)], \
        r.describe()
    if kind.startswith("standin"):
        after = r.lines[r.lines.index(report[-1]) + 1:]
        assert after[:1] == ["stand-in: no runnable thread left (every thread is blocked or "
                             "inactive; seL4 would idle here), halting"], r.describe()


@pytest.mark.parametrize("standin", ["standin"] + STANDIN_BUILDS)
def test_debug_syscalls(standin, artifacts, booter, tmp_path):
    r, _ = boot_tiny("identify-yield-halt", artifacts, booter, tmp_path,
                     kernel=standin_kernel(standin, artifacts))
    lines = r.lines
    start = lines.index("tiny root task")
    # Slot 3 holds the VSpace cap (tag 9 -> 'J'); cptr 4096 is outside the
    # radix-12 root CNode, so the lookup fails and reads as a null cap ('A').
    assert lines[start + 1:start + 3] == ["J", "A"], r.describe()
    assert re.fullmatch(r'Debug halt syscall from user thread 0xffffff807ff[0-9a-f]{5} "rootserver"',
                        lines[start + 3]), r.describe()
    assert lines[start + 4].startswith("halting..."), r.describe()
