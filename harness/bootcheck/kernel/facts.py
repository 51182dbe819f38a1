"""Named values a scenario can refer to (handoff.x0, bootinfo.va,
kernel.sym.rootserver, ...), all computed from the input files by
bootcheck.kernel.expect and seL4's rules (facts file §2.3, §3, §4.1), never taken
from a run's output."""

from . import expect, target

PAGE = expect.PAGE
# seL4 13.0.0 qemu-arm-virt: the kernel window maps PA 0 at PPTR_BASE.
PPTR_BASE_EL1 = 0xffffff8000000000
PPTR_BASE_HYP = 0x0000008000000000
PADDR_TOP = 0x7fc0000000
USER_TOP_EL1 = 0x00007fffffffffff
USER_TOP_HYP = 0x000000ffffffffff
RAM_BASE = 0x40000000
# seL4 riscv64 (Sv39, include/arch/riscv/arch/64/mode/hardware.h): the
# kernel window maps PA 0 at PPTR_BASE up to PPTR_TOP, where the kernel ELF's
# own window (KERNEL_ELF_BASE) begins; QEMU virt's RAM starts at 2 GiB.
PPTR_BASE_RV64 = 0xffffffc000000000
PADDR_TOP_RV64 = 0xffffffff80000000 - PPTR_BASE_RV64
RAM_BASE_RV64 = 0x80000000
USER_TOP_RV64 = 0x0000003ffffff000     # seL4_UserTop (Sv39)
BOOTINFO_HEADER_BYTES = 16
MASK64 = (1 << 64) - 1


def extra_bi_size_bits(extra_len):
    """seL4's calculate_extra_bi_size_bits: log2 of the extra-BootInfo
    region, rounded up to whole pages and up to a power of two."""
    if extra_len == 0:
        return 0
    rounded = expect.round_up(extra_len, PAGE)
    msb = rounded.bit_length() - 1
    return msb + 1 if extra_len > (1 << msb) else msb


def user_layout(prefix, x, hyp):
    """The root task's virtual layout the kernel derives from x0..x5 (§4.1)."""
    x0, x1, x2, _, x4, x5 = x
    ui_v_start = (x0 - x2) & MASK64
    ui_v_end = (x1 - x2) & MASK64
    dtb_size = x5 & 0xffffffff
    extra_len = BOOTINFO_HEADER_BYTES + dtb_size if dtb_size else 0
    bits = extra_bi_size_bits(extra_len)
    extra = ui_v_end + 2 * PAGE
    return {
        f"{prefix}.ui_v_start": ui_v_start,
        f"{prefix}.ui_v_end": ui_v_end,
        f"{prefix}.ipc_buffer": ui_v_end,
        f"{prefix}.bootinfo": ui_v_end + PAGE,
        f"{prefix}.extra_bi": extra,
        f"{prefix}.extra_len": extra_len,
        f"{prefix}.it_v_start": ui_v_start,
        f"{prefix}.it_v_end": extra + (1 << bits),
        f"{prefix}.user_top": USER_TOP_HYP if hyp else USER_TOP_EL1,
    }


# A riscv64 scenario's names known only in the run (read in gdb from the
# loader's serial lines): what our loader printed (loader.a0..a5, satp, the
# boot hart) and the hand-off seL4's rules give for the DTB size it printed.
RV_RUNTIME_NAMES = ({f"loader.a{i}" for i in range(6)} | {"loader.satp", "loader.hart"}
                    | {f"handoff.a{i}" for i in range(6)})


def symbol_facts(prefix, elf):
    return {f"{prefix}.sym.{name}": value for name, (value, _) in elf.symbols.items()}


def window(t):
    """(kernel window base VA, PADDR_TOP, RAM base) of a kernel (its target)."""
    if t.arch == "riscv64":
        return PPTR_BASE_RV64, PADDR_TOP_RV64, RAM_BASE_RV64
    return (PPTR_BASE_HYP if t.hyp else PPTR_BASE_EL1), PADDR_TOP, RAM_BASE


def compute(kernel, roottask, loader_image, dtb, mem_mib):
    """All facts for one boot of `kernel` + `roottask` (+ `dtb`). A riscv64
    kernel's hand-off a0..a5 is not among them: our riscv64 loader hands on
    the firmware's DTB, whose size only the run shows (handoff.a0..a5 are
    worked out in gdb from the size the loader printed: RV_RUNTIME_NAMES)."""
    k = expect.elf_facts(kernel)
    u = expect.elf_facts(roottask)
    t = target.read(kernel)
    dtb_size = expect.dtb_handover_size(dtb) if dtb else 0
    h = expect.expected_handoff(kernel, roottask, dtb_size)
    base, paddr_top, ram_base = window(t)
    facts = {
        "kernel.entry": k.entry,
        "kernel.phys_start": h.kernel_phys[0],
        "kernel.phys_end": h.kernel_phys[1],
        "kernel.hyp": int(t.hyp),
        "kernel.nodes": t.nodes,
        "kernel.el": t.el,
        # from the target description: 16 for seL4 16.0.0, 0 when it cannot be told
        "kernel.release_major": int(t.release.split(".")[0]) if t.release else 0,
        "kernel.mcs": {True: 1, False: 0, None: -1}[t.mcs],
        "kernel.window": base,
        "kernel.ram_window_start": base + ram_base,
        "kernel.ram_window_end": base + ram_base + mem_mib * 1024 * 1024,
        "kernel.paddr_top": paddr_top,
        "roottask.entry": u.entry,
        "roottask.virt_start": h.user_virt[0],
        "roottask.virt_end": h.user_virt[1],
        "dtb.size": dtb_size,
        "bootinfo.va": h.user_virt[1] + PAGE,
        "ipc_buffer.va": h.user_virt[1],
    }
    if t.arch == "riscv64":
        if not dtb:
            del facts["dtb.size"]     # the firmware's: only the run shows it
    else:
        facts.update({f"handoff.x{i}": v for i, v in enumerate(h.x)})
        facts.update(user_layout("expected", h.x, t.hyp))
    facts.update(symbol_facts("kernel", k))
    facts.update(symbol_facts("roottask", u))
    if loader_image:
        li = expect.elf_facts(loader_image)
        facts["loader.entry"] = li.entry
        facts.update(symbol_facts("loader", li))
    return facts
