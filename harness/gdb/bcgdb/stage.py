"""Where the CPU is in the boot chain, from the PC alone: which image's
code it is running (the loader, the kernel, the root task, a component) and
so which stage of the boot that is. No gdb here, so the host tests can feed
it addresses; the privilege level is passed in as the architecture names it
(EL1h on AArch64; a RISC-V session passes its mode)."""

from dataclasses import dataclass, field


@dataclass
class Image:
    owner: str                 # "the loader's", "the kernel's", "component system_init's"
    stage: str                 # "loader", "kernel boot", "root task", "component system_init"
    user: bool                 # runs unprivileged (root task, components)
    ranges: list = field(default_factory=list)   # [lo, hi) address ranges of its code and data

    def holds(self, pc):
        return any(lo <= pc < hi for lo, hi in self.ranges)


@dataclass
class Where:
    stage: str
    level: str                 # the privilege level as the architecture prints it
    pc: int
    symbol: str                # "init_kernel+0x14", or "" when no symbol covers pc
    owner: str                 # whose symbol it is ("the kernel's"), "" when no image holds pc

    def place(self):
        """'pc 0x48000000 in the loader's _start'."""
        if self.owner and self.symbol:
            return f"pc 0x{self.pc:x} in {self.owner} {self.symbol}"
        if self.owner:
            return f"pc 0x{self.pc:x} in {self.owner} code"
        return f"pc 0x{self.pc:x}, in no image bootcheck knows"

    def line(self):
        return f"boot stage: {self.stage}; {self.level}; {self.place()}"


def images_from_elfs(loader, kernel, roottask, components):
    """Images from ElfFacts (bootcheck.kernel.expect.elf_facts): the loader and the
    kernel at both their virtual and physical addresses (the kernel may run
    before its MMU is on), user images at their virtual addresses."""
    def both(f):
        return [(v, v + memsz) for v, _, _, _, memsz, _ in f.segments] + \
               [(p, p + memsz) for _, p, _, _, memsz, _ in f.segments]

    def virt(f):
        return [(v, v + memsz) for v, _, _, _, memsz, _ in f.segments]

    out = []
    if kernel is not None:
        out.append(Image("the kernel's", "kernel boot", False, both(kernel)))
    if loader is not None:
        out.append(Image("the loader's", "loader", False, both(loader)))
    if roottask is not None:
        out.append(Image("the root task's", "root task", True, virt(roottask)))
    for name, f in sorted(components.items()):
        out.append(Image(f"component {name}'s", f"component {name}", True, virt(f)))
    return out


def classify(pc, user_mode, level, images, booted, symbol=""):
    """The stage for pc. user_mode: the CPU runs unprivileged. booted: the
    kernel has finished booting (its 'Booting all finished' line, or the
    root task has run), so kernel code is the kernel serving user threads."""
    for img in images:
        if img.user == user_mode and img.holds(pc):
            stage = img.stage
            if stage == "kernel boot" and booted:
                stage = "kernel (boot finished; serving user threads)"
            return Where(stage, level, pc, symbol, img.owner)
    if user_mode:
        return Where("user thread outside the root task and its components", level, pc, symbol, "")
    return Where("unknown (privileged code outside the loader and the kernel)", level, pc, symbol, "")


def firmware(pc, level):
    """A RISC-V hart in M-mode: QEMU's reset code, then OpenSBI (before the
    loader, and for every SBI call after it). No image of ours runs there."""
    return Where("firmware (M-mode: QEMU's reset code, OpenSBI)", level, pc, "", "the firmware's")


BEFORE_LOADER_ENDS = ("loader", "unknown", "firmware")


def handoff_hint(where, kernel_entry, reg="x"):
    """None when the CPU is at the kernel's entry (x0..x5 hold the
    hand-off); else the line that says where it is and how to get there.
    reg: the argument registers' letter (x on AArch64, a on RISC-V)."""
    if where.pc == kernel_entry:
        return None
    if where.stage.startswith(BEFORE_LOADER_ENDS):
        return f"not at the kernel's entry yet ({where.place()}); use bc-continue kernel"
    return (f"past the kernel's entry ({where.stage}: {where.place()}): {reg}0..{reg}5 no longer hold the "
            f"hand-off; the loader's 'loader: handoff' line in `serial` has them, or restart make debug and use "
            f"bc-continue kernel")


def bootinfo_hint(where, roottask_entry, bootinfo_va=None, reg="x"):
    """None when x0 holds the BootInfo (the root task's first instruction);
    else where the CPU is and how to get there. bootinfo_va: where the
    kernel puts it (the page after the IPC buffer, after the user image),
    when the hand-off is known."""
    if where.pc == roottask_entry and where.stage == "root task":
        return None
    give = f"bootinfo 0x{bootinfo_va:x}" if bootinfo_va is not None else "bootinfo VA"
    if where.stage.startswith(BEFORE_LOADER_ENDS + ("kernel boot",)):
        return (f"the root task has not started yet ({where.place()}); use bc-continue roottask "
                f"(the kernel fills the BootInfo before it)")
    if where.stage.startswith("component "):
        at = f" ({bootinfo_va:#x})" if bootinfo_va is not None else ""
        return (f"{where.stage} runs in its own address space ({where.place()}); the BootInfo{at} is the "
                f"root task's: read it while the root task runs, with {give}")
    return (f"not at the root task's entry ({where.stage}: {where.place()}), so {reg}0 is not the BootInfo "
            f"any more; give its address: {give}")
