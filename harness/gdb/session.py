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

from bcgdb import commands, stage, target  # noqa: E402
from bootcheck.boot.qemu_machine import machine_argv  # noqa: E402
from bootcheck.kernel import expect  # noqa: E402

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


def component_elfs():
    """The project's components (system_init, the IPC pair) when the root
    task is the project's: the other ELFs built beside it."""
    folder = os.path.dirname(roottask)
    if os.path.basename(roottask) != "roottask.elf":
        return {}
    return {f[:-4]: os.path.join(folder, f) for f in sorted(os.listdir(folder))
            if f.endswith(".elf") and not f.startswith("roottask")}


components = component_elfs()
target.setup_session()
if env.get("BC_GDB_ARCH"):
    gdb.execute(f"set architecture {env['BC_GDB_ARCH']}", to_string=True)
target.load_symbols(image, kernel, roottask)
for path in components.values():
    target.quiet(f"add-symbol-file {path}")
qemu = [*machine_argv(env["BC_MACHINE"], env["BC_CPU"], env["BC_MEM"], env.get("BC_SMP", "1"),
                      env.get("BC_ARCH") or "aarch64"), "-monitor", "none", "-serial", f"file:{serial}",
        "-no-reboot", "-no-shutdown", "-S", "-gdb", "stdio", "-kernel", image]
pidfile = shlex.quote(env.get("BC_PIDFILE", "/dev/null"))
gdb.execute("set remotetimeout 30")
# gdb runs this with $SHELL -c; bash without SHLVL would read ~/.bashrc
# first (bootcheck.boot.gdbrun.gdb_environment). Only this command gets
# /bin/sh: gdb's `shell` stays the user's.
user_shell = os.environ.get("SHELL")
os.environ["SHELL"] = "/bin/sh"
try:
    gdb.execute(f"target remote | echo $$ > {pidfile}; exec {shlex.join(qemu)}")
finally:
    if user_shell is None:
        del os.environ["SHELL"]
    else:
        os.environ["SHELL"] = user_shell

arch = env.get("BC_ARCH") or "aarch64"
k, u, loader = expect.elf_facts(kernel), expect.elf_facts(roottask), expect.elf_facts(image)
kernel_start = k.symbols.get("_start", (k.entry,))[0]
# (label, bc-continue name, address, the stages it is still ahead of)
stops = [("kernel _start", "kernel", kernel_start, ("firmware", "loader", "unknown")),
         ("init_kernel", "init_kernel", k.symbols.get("init_kernel", (None,))[0],
          ("firmware", "loader", "kernel boot")),
         ("restore_user_context", "user-context", k.symbols.get("restore_user_context", (None,))[0],
          ("firmware", "loader", "kernel boot")),
         ("root task entry", "roottask", u.entry, ("firmware", "loader", "kernel boot"))]
for label, _, address, _ in stops:
    if address is not None:
        gdb.Breakpoint(f"*0x{address:x}")
        print(f"breakpoint: {label} at 0x{address:x}")
c_facts = {name: expect.elf_facts(path) for name, path in components.items()}
# The loader's first instruction: where QEMU starts on AArch64; on RISC-V
# QEMU's reset code and OpenSBI (M-mode) run first.
targets = {"loader": (loader.entry, ("firmware",))}
targets.update({name: (address, ahead_of) for _, name, address, ahead_of in stops if address is not None})
targets.update({name: (f.entry, ()) for name, f in c_facts.items()})
session = commands.Session(stage.images_from_elfs(loader, k, u, c_facts), kernel_start,
                           u.entry, serial, expected_handoff, targets, arch=arch, kernel_path=kernel,
                           roottask_path=roottask,
                           kernel_ranges=[(v, v + memsz) for v, _, _, _, memsz, _ in k.segments])
commands.register_all(expected_handoff, serial, session)
paused = ("the loader's first instruction" if arch != "riscv64" else
          "the reset vector (M-mode; OpenSBI runs before the loader, `bc-continue loader` stops at its entry)")
print(f"bootcheck: QEMU is paused at {paused}. Commands: "
      f"where, handoff, pt-walk {'[VA]' if arch == 'riscv64' else 'VA'}, bootinfo [VA], el, serial [N]; "
      f"`continue` runs to the next breakpoint, `bc-continue {'|'.join(targets)}` straight to one.")
