"""What the stand-in kernel does after boot, driven by tiny root tasks that
are assembled here: the debug syscalls work, and every unsupported syscall
or user fault ends the run with one line naming it (ESR/ELR/FAR decoded)
and QEMU powering off, never a silent hang."""

import os
import re
import subprocess

import pytest

from bootcheck import expect

pytestmark = pytest.mark.qemu

CC = os.environ.get("CROSS", "aarch64-linux-gnu-") + "gcc"

# Each root task prints a banner through DebugPutChar, then runs `body`.
# `trap_pc` labels the instruction that is expected to trap.
PROLOGUE = r"""
    .text
    .global _start
_start:
    adr     x20, banner
1:  ldrb    w0, [x20], #1
    cbz     w0, 2f
    mov     x7, #-9
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
    mov     x7, #-5
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
    mov     x7, #-7
    svc     #0
    mov     x0, #3
    mov     x7, #-12
    svc     #0
    add     x0, x0, #'A'
    mov     x7, #-9
    svc     #0
    mov     x0, #'\n'
    svc     #0
    mov     x0, #4096
    mov     x7, #-12
    svc     #0
    add     x0, x0, #'A'
    mov     x7, #-9
    svc     #0
    mov     x0, #'\n'
    svc     #0
    mov     x7, #-11
    .global trap_pc
trap_pc:
    svc     #0
""",
}


def build_roottask(tmp_path, name):
    src = tmp_path / f"{name}.S"
    elf = tmp_path / f"{name}.elf"
    src.write_text(PROLOGUE + BODIES[name] + EPILOGUE)
    subprocess.run([CC, "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none",
                    "-Wl,-Ttext=0x400000", "-Wl,-e,_start", str(src), "-o", str(elf)],
                   check=True, capture_output=True, text=True)
    return str(elf), expect.elf_facts(str(elf)).symbols["trap_pc"][0]


def boot_tiny(name, artifacts, booter, tmp_path):
    roottask, trap_pc = build_roottask(tmp_path, name)
    image = booter.pack(artifacts.standin_kernel, roottask, dtb=artifacts.virt_dtb)
    r = booter.boot(image, timeout=30, stop_patterns=())
    assert "tiny root task" in r.serial, r.describe()
    # No stop pattern: only QEMU exiting (PSCI SYSTEM_OFF) ends the run.
    assert not r.timed_out and r.stopped_on is None, (
        f"the stand-in must power QEMU off\n{r.describe()}")
    return r, trap_pc


def one_line(r, prefix):
    hits = [l for l in r.lines if l.startswith(prefix)]
    assert len(hits) == 1, f"want one line starting {prefix!r}\n{r.describe()}"
    return hits[0]


def test_unsupported_syscall(artifacts, booter, tmp_path):
    r, pc = boot_tiny("unsupported-syscall", artifacts, booter, tmp_path)
    line = one_line(r, "stand-in: unsupported syscall -5 (seL4_SysRecv)")
    assert line == (f'stand-in: unsupported syscall -5 (seL4_SysRecv) from user thread '
                    f'"rootserver" at pc 0x{pc:x} (ESR_EL1 0x56000000: EC 0x15 SVC from AArch64; '
                    f'ELR_EL1 0x{pc + 4:x}; FAR_EL1 0x0), halting'), r.describe()


def test_data_abort(artifacts, booter, tmp_path):
    r, pc = boot_tiny("data-abort", artifacts, booter, tmp_path)
    line = one_line(r, "stand-in: data abort from user thread")
    assert f"at pc 0x{pc:x}, address 0x10000000 " in line, line
    assert re.search(r"EC 0x24 data abort, translation fault, level \d, write;", line), line
    assert f"ELR_EL1 0x{pc:x}; FAR_EL1 0x10000000" in line, line


def test_undefined_instruction(artifacts, booter, tmp_path):
    r, pc = boot_tiny("undefined-instruction", artifacts, booter, tmp_path)
    line = one_line(r, "stand-in: unknown reason (undefined instruction) from user thread")
    assert f"at pc 0x{pc:x} " in line and "EC 0x0 " in line, line


def test_kernel_memory_is_not_user_accessible(artifacts, booter, tmp_path):
    r, pc = boot_tiny("kernel-address-read", artifacts, booter, tmp_path)
    line = one_line(r, "stand-in: data abort from user thread")
    assert "address 0xffffff8040000000" in line and "permission fault" in line, line


def test_debug_syscalls(artifacts, booter, tmp_path):
    r, _ = boot_tiny("identify-yield-halt", artifacts, booter, tmp_path)
    lines = r.lines
    start = lines.index("tiny root task")
    # Slot 3 holds the VSpace cap (tag 9 -> 'J'); cptr 4096 is outside the
    # radix-12 root CNode, so the lookup fails and reads as a null cap ('A').
    assert lines[start + 1:start + 3] == ["J", "A"], r.describe()
    assert re.fullmatch(r'Debug halt syscall from user thread 0xffffff807ff[0-9a-f]{5} "rootserver"',
                        lines[start + 3]), r.describe()
    assert lines[start + 4].startswith("halting..."), r.describe()
