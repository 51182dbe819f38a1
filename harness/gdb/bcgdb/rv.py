"""The riscv64 side of the `make debug` commands (commands.py dispatches
here when the kernel is a RISC-V one): the privilege level from QEMU's
virtual `priv` register, `handoff` as a0..a7 with satp, priv and sstatus
judged by bootcheck.check.rv_contract, `pt-walk` through Sv39 from satp (physical
reads through QEMU's gdbstub), and `el` as priv with the S-mode trap CSRs."""

import gdb  # only importable inside gdb: this module runs there

from . import scause, stage, sv39, target
from .expr import ExprError

M64 = (1 << 64) - 1
HANDOFF_NAMES = ["ui_p_reg_start", "ui_p_reg_end (exclusive)", "pv_offset", "v_entry", "dtb_addr_p",
                 "dtb_size", "hart id (SMP entry)", "core id (SMP entry)"]


def priv():
    return target.register("priv")


def level_text():
    return scause.priv(priv())


def read_phys_u64(pa):
    return int.from_bytes(target.read_physical(pa, 8), "little")


def classify(pc, images, booted, symbol):
    """Where on RISC-V: M-mode is the firmware (QEMU's reset code, then
    OpenSBI), U-mode user code, S-mode the loader or the kernel."""
    p = priv()
    if p == 3:
        return stage.firmware(pc, scause.priv(p))
    return stage.classify(pc, p == 0, scause.priv(p), images, booted, symbol)


def walk(va):
    satp = target.register("satp")
    if sv39.satp_mode(satp) != sv39.SATP_MODE_SV39:
        return satp, None
    return satp, sv39.walk(read_phys_u64, va, (satp & sv39.SATP_PPN_MASK) << sv39.PAGE_BITS)


def read_va(va, size):
    """Memory by VA: through gdb (QEMU's own translation), else our walk."""
    try:
        return int.from_bytes(target.read_virtual(va, size), "little")
    except ExprError:
        _, w = walk(va)
        if w is None or w.pa is None:
            raise ExprError(f"0x{va:x} is not mapped: {w.fault if w else 'paging is off'}") from None
        return int.from_bytes(target.read_physical(w.pa, size), "little")


def handoff(expected, inputs):
    """a0..a7 at the kernel's entry, each against the value computed from
    the ELF files (when known), then seL4's RISC-V rules over a0..a5
    (bootcheck.check.rv_contract), the DTB's header, satp, priv and sstatus."""
    a = [target.register(f"a{i}") for i in range(8)]
    threads = gdb.selected_inferior().threads()
    if len(threads) > 1:      # SMP: which hart's registers these are
        print(f"registers of gdb thread {gdb.selected_thread().num} of {len(threads)} (one per hart)")
    want = expected()
    for i in range(8):
        mark = ""
        if want is not None and i < 6:
            mark = "  ok" if a[i] == want[i] else f"  MISMATCH: expected 0x{want[i]:x}"
        print(f"a{i} = 0x{a[i]:016x}  {HANDOFF_NAMES[i]}{mark}")
    print(f"user image: phys [0x{a[0]:x}..0x{a[1]:x}) = {(a[1] - a[0]) // 4096} pages, "
          f"virt [0x{(a[0] - a[2]) & M64:x}..0x{(a[1] - a[2]) & M64:x}), entry 0x{a[3]:x}")
    bi = ((a[1] - a[2]) & M64) + 0x1000
    print(f"root task will get: IPC buffer 0x{bi - 0x1000:x}, BootInfo 0x{bi:x} (a0 in U-mode)")
    header = None
    if a[4]:
        try:
            header = target.read_physical(a[4], 8)
        except ExprError as e:
            print(f"DTB: unreadable at 0x{a[4]:x}: {e}")
        if header is not None:
            magic = int.from_bytes(header[:4], "big")
            print(f"DTB: [0x{a[4]:x}..0x{a[4] + a[5]:x}) magic 0x{magic:08x}"
                  + (f" (FDT, totalsize 0x{int.from_bytes(header[4:8], 'big'):x})" if magic == 0xd00dfeed
                     else " (NOT an FDT)"))
    else:
        print("DTB: none (a4 = 0)")
    if inputs is not None:
        from bootcheck.check import rv_contract
        for f in rv_contract.judge_handoff(inputs(), a[:6], header):
            print(f"contract {f.status:4} {f.rule}: {f.sentence}")
    print(sv39.satp_describe(target.register("satp")))
    print(f"{level_text()}, {scause.sstatus(target.register('sstatus'))}")


def pt_walk(arg, kernel_ranges):
    """pt-walk VA (one address) or pt-walk alone (the kernel image's window:
    every leaf that maps the kernel's virtual range)."""
    satp = target.register("satp")
    print(f"{'VA 0x%x' % arg if arg is not None else 'kernel window'} via {sv39.satp_describe(satp)}")
    if sv39.satp_mode(satp) != sv39.SATP_MODE_SV39:
        print("  -> no walk: paging is off" if sv39.satp_mode(satp) == sv39.SATP_MODE_BARE
              else f"  -> no walk: mode {sv39.satp_mode(satp)} is not Sv39")
        return
    root = (satp & sv39.SATP_PPN_MASK) << sv39.PAGE_BITS
    if arg is not None:
        for line in sv39.describe(sv39.walk(read_phys_u64, arg, root)):
            print(line)
        return
    for lo, hi, w in sv39.window(read_phys_u64, root, kernel_ranges):
        if w.pa is None:
            print(f"  [0x{lo:x}..) {w.fault}")
            continue
        leaf = w.steps[-1]
        print(f"  [0x{lo:x}..0x{hi:x}) -> PA [0x{w.pa:x}..0x{w.pa + hi - lo:x})  level-{w.level} leaf "
              f"({sv39.PAGE_KIND[w.level]}) 0x{w.leaf:016x} at PA 0x{leaf.at:x}  {sv39.flags(w.leaf)}")


def el():
    """priv, sstatus and the S-mode trap registers."""
    print(level_text())
    print(scause.sstatus(target.register("sstatus")))
    cause, tval = target.register("scause"), target.register("stval")
    print(f"{scause.describe(cause, tval)}; sepc 0x{target.register('sepc'):x} stvec 0x{target.register('stvec'):x}")
