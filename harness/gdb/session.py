"""`make debug`: gdb-multiarch on a paused QEMU started over a pipe, with the
loader image, kernel and root task symbols loaded, breakpoints at the four
hand-off points and the helper commands (see harness/gdb/README.md).
Environment (set by harness/gdb/gdb.mk): BC_IMAGE BC_KERNEL BC_ROOTTASK
BC_DTB BC_MACHINE BC_CPU BC_MEM BC_SMP BC_ARCH BC_GDB_ARCH BC_SERIAL BC_PIDFILE."""

import os
import re
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import gdb  # noqa: E402

from bcgdb import commands, target  # noqa: E402
from bootcheck import expect  # noqa: E402
from bootcheck.qemu_machine import machine_argv  # noqa: E402

env = os.environ
image, kernel, roottask = env["BC_IMAGE"], env["BC_KERNEL"], env["BC_ROOTTASK"]
serial = env["BC_SERIAL"]


def expected_handoff():
    """From the ELF files and the DTB the loader uses (the payload's, or the
    size of QEMU's as the loader printed it)."""
    if env.get("BC_DTB"):
        with open(env["BC_DTB"], "rb") as f:
            size = int.from_bytes(f.read(8)[4:8], "big")
    else:
        with open(serial, errors="replace") as f:
            m = re.search(r"^loader: DTB from \S+ at 0x[0-9a-f]+, (\d+) bytes", f.read(), re.M)
        if not m:
            return None
        size = int(m.group(1))
    return expect.expected_handoff(kernel, roottask, size).x


target.setup_session()
if env.get("BC_GDB_ARCH"):
    gdb.execute(f"set architecture {env['BC_GDB_ARCH']}", to_string=True)
target.load_symbols(image, kernel, roottask)
qemu = [*machine_argv(env["BC_MACHINE"], env["BC_CPU"], env["BC_MEM"], env.get("BC_SMP", "1"),
                      env.get("BC_ARCH") or "aarch64"), "-monitor", "none", "-serial", f"file:{serial}",
        "-no-reboot", "-no-shutdown", "-S", "-gdb", "stdio", "-kernel", image]
pidfile = shlex.quote(env.get("BC_PIDFILE", "/dev/null"))
gdb.execute(f"target remote | echo $$ > {pidfile}; exec {shlex.join(qemu)}")

k, u = expect.elf_facts(kernel), expect.elf_facts(roottask)
for label, address in [("kernel _start", k.symbols.get("_start", (k.entry,))[0]),
                       ("init_kernel", k.symbols.get("init_kernel", (None,))[0]),
                       ("restore_user_context", k.symbols.get("restore_user_context", (None,))[0]),
                       ("root task entry", u.entry)]:
    if address is not None:
        gdb.Breakpoint(f"*0x{address:x}")
        print(f"breakpoint: {label} at 0x{address:x}")
commands.register_all(expected_handoff, serial)
print("bootcheck: QEMU is paused at the loader's first instruction. Commands: "
      "handoff, pt-walk VA, bootinfo [VA], el, serial [N]; `continue` runs to the next breakpoint.")
