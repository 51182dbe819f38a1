"""`make debug`, driven non-interactively (GDB_ARGS="-batch -ex ..."): the
breakpoints stop where they should and the helper commands print values
that agree with the ELF files and with QEMU's own translation."""

import os
import re
import shlex
import signal
import subprocess

import pytest

from bootcheck.kernel import expect

from conftest import ROOT

pytestmark = pytest.mark.qemu

COMMANDS = ["continue", "handoff", "continue", "continue", "continue", "bootinfo", "el",
            "pt-walk 0x400000", "monitor gva2gpa 0x400000", "pt-walk $$pc", "serial 2", "kill"]


def run_debug(kernel, roottask, dtb, out, debug_dir, timeout=60, commands=COMMANDS):
    gdb_args = "-batch " + " ".join(f"-ex {shlex.quote(c)}" for c in commands)
    cmd = ["make", "-s", "--no-print-directory", "-C", ROOT, "debug", f"KERNEL={kernel}",
           f"ROOTTASK={roottask}", f"DTB={dtb}", f"OUT={out}", f"DEBUG_DIR={debug_dir}", f"GDB_ARGS={gdb_args}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"make debug did not finish in {timeout}s:\n{output}")
    finally:
        pidfile = os.path.join(debug_dir, "qemu.pid")
        if os.path.exists(pidfile):
            pid = int(open(pidfile).read().strip() or 0)
            if pid and os.path.exists(f"/proc/{pid}") and b"qemu" in open(f"/proc/{pid}/cmdline", "rb").read():
                os.kill(pid, signal.SIGKILL)
                pytest.fail("QEMU outlived the debug session")
    return output


def test_make_debug_commands(artifacts, tmp_path):
    if not os.path.isfile(artifacts.standin_kernel):
        pytest.skip("stand-in kernel not built yet (`make standin`)")
    out = run_debug(artifacts.standin_kernel, artifacts.roottask, artifacts.virt_dtb,
                    tmp_path / "debug.elf", tmp_path / "debug")
    dtb_size = int.from_bytes(open(artifacts.virt_dtb, "rb").read(8)[4:8], "big")
    h = expect.expected_handoff(artifacts.standin_kernel, artifacts.roottask, dtb_size)
    k = expect.elf_facts(artifacts.standin_kernel)
    u = expect.elf_facts(artifacts.roottask)
    for name in ("init_kernel", "restore_user_context"):
        assert f"breakpoint: {name} at 0x{k.symbols[name][0]:x}" in out, out
    for i in range(6):
        assert re.search(rf"^x{i} = 0x{h.x[i]:016x} .*  ok$", out, re.M), out
    assert f"DTB: [0x{h.x[4]:x}..0x{h.x[4] + dtb_size:x}) magic 0xd00dfeed (FDT)" in out
    bi = h.user_virt[1] + 0x1000
    assert f"seL4_BootInfo at 0x{bi:x}" in out
    assert re.search(rf"^  ipcBuffer +0x{h.user_virt[1]:x}$", out, re.M), out
    pages = (h.user_virt[1] - h.user_virt[0]) // 4096
    assert re.search(rf"^  userImageFrames +\[0x[0-9a-f]+, 0x[0-9a-f]+\)  {pages} caps$", out, re.M), out
    assert "EL0t (CPSR 0x40" in out
    entry_pa = h.x[0] + (u.entry - h.user_virt[0])
    assert f"  -> PA 0x{entry_pa:x} (4 KiB page)" in out
    assert f"gpa: 0x{entry_pa:x}" in out, "pt-walk and QEMU's gva2gpa disagree"
    assert "AttrIndx=4 (MAIR 0xff Normal write-back), AP=EL1 RW, EL0 RW" in out


# Where the CPU is, asked at each stop bc-continue goes to.
WHERE_COMMANDS = ["where", "handoff", "bootinfo", "bc-continue kernel", "where", "bootinfo",
                  "bc-continue roottask", "where", "handoff", "bc-continue system_init", "where", "bootinfo",
                  "bc-continue kernel", "kill"]


def test_commands_say_where_the_cpu_is_and_how_to_get_to_their_stop(artifacts, tmp_path):
    """At reset handoff and bootinfo do not decode registers that hold no
    hand-off yet: they say where the CPU is and which bc-continue gets there;
    where names the stage, the EL and the symbol at each stop."""
    if not os.path.isfile(artifacts.standin_kernel):
        pytest.skip("stand-in kernel not built yet (`make standin`)")
    out = run_debug(artifacts.standin_kernel, artifacts.roottask, artifacts.virt_dtb,
                    tmp_path / "debug.elf", tmp_path / "debug", commands=WHERE_COMMANDS)
    loader = expect.elf_facts(str(tmp_path / "debug.elf"))
    k = expect.elf_facts(artifacts.standin_kernel)
    u = expect.elf_facts(artifacts.roottask)
    si = expect.elf_facts(os.path.join(os.path.dirname(artifacts.roottask), "system_init.elf"))
    dtb_size = int.from_bytes(open(artifacts.virt_dtb, "rb").read(8)[4:8], "big")
    h = expect.expected_handoff(artifacts.standin_kernel, artifacts.roottask, dtb_size)
    bootinfo = h.user_virt[1] + 0x1000
    reset = f"pc 0x{loader.entry:x} in the loader's _start"
    kentry = f"pc 0x{k.entry:x} in the kernel's _start"
    lines = [l for l in out.splitlines() if not re.match(r"^(Temporary breakpoint|\d+\s)", l)]
    want = [
        f"boot stage: loader; EL1h; {reset}",
        f"not at the kernel's entry yet ({reset}); use bc-continue kernel",
        f"the root task has not started yet ({reset}); use bc-continue roottask (the kernel fills the "
        "BootInfo before it)",
        f"boot stage: kernel boot; EL1h; {kentry}",
        f"boot stage: kernel boot; EL1h; {kentry}",
        f"the root task has not started yet ({kentry}); use bc-continue roottask (the kernel fills the "
        "BootInfo before it)",
        f"boot stage: root task; EL0t; pc 0x{u.entry:x} in the root task's _start",
        f"boot stage: root task; EL0t; pc 0x{u.entry:x} in the root task's _start",
        f"past the kernel's entry (root task: pc 0x{u.entry:x} in the root task's _start): x0..x5 no longer "
        "hold the hand-off; the loader's 'loader: handoff' line in `serial` has them, or restart make debug "
        "and use bc-continue kernel",
        f"boot stage: component system_init; EL0t; pc 0x{si.entry:x} in component system_init's _start",
        f"boot stage: component system_init; EL0t; pc 0x{si.entry:x} in component system_init's _start",
        f"component system_init runs in its own address space (pc 0x{si.entry:x} in component "
        f"system_init's _start); the BootInfo (0x{bootinfo:x}) is the root task's: read it while the root "
        f"task runs, with bootinfo 0x{bootinfo:x}",
        f"already past kernel (component system_init: pc 0x{si.entry:x} in component system_init's _start); "
        "restart make debug to get there",
    ]
    got = [l for l in lines if l in want]
    assert got == want, out
    assert not re.search(r"^x0 = ", out, re.M), "handoff decoded registers away from the kernel's entry"
    assert "seL4_BootInfo at" not in out, "bootinfo decoded x0 away from the root task's entry"
