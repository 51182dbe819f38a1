"""gdb access to the QEMU target: registers, virtual and physical memory.

Kernel-window addresses are read physically (QEMU's Qqemu.PhyMemMode), so
kernel data can be read at any stop, including at EL0 and before or after
the kernel switched page tables: the window is a linear map of RAM."""

import gdb  # noqa: F401  (only importable inside gdb)

from .expr import ExprError


def quiet(command):
    return gdb.execute(command, to_string=True)


def register(name):
    try:
        value = gdb.parse_and_eval(f"${name}")
        # Mask to the register's width: cpsr is a signed 32-bit int to gdb.
        return int(value) & ((1 << (8 * value.type.sizeof)) - 1)
    except gdb.error as e:
        raise ExprError(f"cannot read register {name}: {e}") from None


def has_register(name):
    frame = gdb.selected_frame()
    return any(r.name == name for r in frame.architecture().registers())


def read_virtual(address, size):
    try:
        return bytes(gdb.selected_inferior().read_memory(address, size))
    except gdb.MemoryError as e:
        raise ExprError(str(e)) from None


def read_physical(address, size):
    quiet("maint packet Qqemu.PhyMemMode:1")
    try:
        return bytes(gdb.selected_inferior().read_memory(address, size))
    except gdb.MemoryError as e:
        raise ExprError(f"physical {e}") from None
    finally:
        quiet("maint packet Qqemu.PhyMemMode:0")


class Memory:
    """Reads guest memory as integers; window = (base VA, base PA, size) of
    the kernel's linear map of RAM, or None."""

    def __init__(self, window=None):
        self.window = window

    def read(self, address, size):
        if self.window:
            base, size_bytes = self.window
            if base <= address < base + size_bytes:
                return int.from_bytes(read_physical(address - base, size), "little")
        return int.from_bytes(read_virtual(address, size), "little")

    def u64(self, address):
        return self.read(address, 8)


def setup_session():
    for c in ("set pagination off", "set confirm off", "set stack-cache off",
              "set code-cache off", "set print symbol-loading off"):
        quiet(c)


def load_symbols(loader, kernel, roottask):
    """The loader image as the main file; kernel and root task at the
    addresses they are linked at (gdb takes them from the section headers)."""
    if loader:
        quiet(f"file {loader}")
    for path in (kernel, roottask):
        if path:
            quiet(f"add-symbol-file {path}")
