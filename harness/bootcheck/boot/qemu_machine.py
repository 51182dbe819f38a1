"""The one place that decides and starts a QEMU `virt` command line.

Which machine: the kernel's target description (bootcheck.kernel.target, read once
from its ELF) says whether it is a hyp (EL2) build; a hyp kernel must start
at EL2, i.e. under `virt,virtualization=on`. It also says how many cores it
needs (seL4's MAX_NUM_NODES, the fact the loader's pack step reads), and the
machine gets that many CPUs. An EL1 kernel runs under plain `virt`, or under
`virtualization=on` when a test wants the loader to drop from EL2 itself.
Every boot of the suite asks `machine_for` (or `machine_at_el` for a loader
test that is about the starting EL), and `check_agrees` refuses a boot whose
machine cannot run its kernel, unless the test says why it wants exactly that.

What devices: every command line begins with `machine_argv`, so it asks for
exactly the devices the project uses. QEMU's defaults would add a virtio NIC
whose option ROM (`efi-virtio.rom`) lives in the `ipxe-qemu` package, which a
minimal Debian does not have: `-nic none` removes that dependency.

Which architecture: the kernel's e_machine (bootcheck.kernel.target); the QEMU
binary, machine, CPU, RAM and firmware of each come from
loader/arch/<arch>/machine.mk (bootcheck.kernel.arch), which make reads too.
"""
import os
import shutil

from ..kernel import arch as arch_facts
from ..kernel import target

QEMU = os.environ.get("QEMU", arch_facts.facts("aarch64").qemu)

# What no boot needs: a network card (and its ROM) and a display.
NO_DEFAULT_DEVICES = ("-nic", "none", "-display", "none")

VIRT = "virt"
VIRT_EL2 = "virt,virtualization=on"


class MachineMismatch(Exception):
    """A boot's machine cannot start its kernel at the EL it needs."""


def machine_argv(machine=VIRT, cpu="cortex-a53", mem=1024, smp=1, arch="aarch64"):
    """QEMU's argv up to the machine, CPU, RAM, firmware and device choices
    (QEMU from $QEMU for aarch64, from the architecture's facts otherwise)."""
    facts = arch_facts.facts(arch)
    qemu = QEMU if arch == "aarch64" else facts.qemu
    argv = [qemu, "-machine", machine, "-cpu", cpu, "-m", str(mem), *NO_DEFAULT_DEVICES,
            *facts.bios_argv()]
    if int(smp) > 1:
        argv += ["-smp", str(int(smp))]
    return argv


def kernel_arch(kernel):
    """aarch64 or riscv64, from the kernel's e_machine (aarch64 for a file that
    is not a readable ELF: the loader refuses it)."""
    try:
        return target.read(kernel).arch
    except Exception:
        return "aarch64"


def boot_argv(kernel, smp=None, mem=None, from_el2=False):
    """The whole machine for booting an image of this kernel: its
    architecture's QEMU, machine, CPU, RAM and firmware, as many CPUs as it
    needs (or smp), EL2 for a hyp AArch64 kernel."""
    arch = kernel_arch(kernel)
    facts = arch_facts.facts(arch)
    machine = machine_for(kernel, from_el2) if arch == "aarch64" else facts.machine
    return machine_argv(machine, facts.cpu, mem or facts.mem, smp or kernel_nodes(kernel), arch)


def kernel_nodes(kernel):
    """The cores the kernel needs (its target description): 1 unless it is an
    SMP seL4 (or stand-in)."""
    try:
        return target.read(kernel).nodes
    except Exception:       # not a readable ELF: the loader refuses it, on one core
        return 1


def kernel_is_hyp(kernel):
    """A hyp seL4 (and our hyp probe) is linked in the lower half (bootcheck.kernel.target)."""
    return target.read(kernel).hyp


def machine_at_el(el):
    """The machine whose CPUs start at EL1 or EL2."""
    if el not in (1, 2):
        raise ValueError(f"QEMU virt starts at EL1 or EL2, not EL{el}")
    return VIRT_EL2 if el == 2 else VIRT


def machine_for(kernel, from_el2=False):
    """The machine for this kernel: EL2 for a hyp kernel; for an EL1 kernel
    plain virt, or EL2 when from_el2 asks the loader to drop to EL1 itself."""
    return machine_at_el(2 if from_el2 or kernel_is_hyp(kernel) else 1)


def starts_at_el(machine):
    return 2 if "virtualization=on" in machine.split(",") else 1


def check_agrees(kernel, machine, deliberate=None, smp=None):
    """Raises MachineMismatch when machine starts below the EL the kernel
    needs, or (smp given) has fewer CPUs than the kernel's cores, unless
    `deliberate` says why the test wants that."""
    if kernel is None or deliberate:
        return
    if kernel_is_hyp(kernel) and starts_at_el(machine) != 2:
        raise MachineMismatch(f"{kernel} is a hyp (EL2) kernel but -machine {machine} starts the CPU "
                              f"at EL1; boot it under {VIRT_EL2} (bootcheck.boot.qemu_machine.machine_for)")
    if smp is not None and int(smp) < kernel_nodes(kernel):
        raise MachineMismatch(f"{kernel} needs {kernel_nodes(kernel)} cores but the machine has {smp} "
                              "CPUs (bootcheck.boot.qemu_machine.kernel_nodes)")


def dump_arch_dtb(out, arch, smp=1):
    """QEMU's own DTB for an architecture's machine, CPU and RAM (its facts
    file), with smp CPUs."""
    facts = arch_facts.facts(arch)
    return dump_dtb(out, facts.machine, facts.cpu, facts.mem, smp, arch=arch)


def dump_dtb(out, machine=VIRT, cpu="cortex-a53", mem=1024, smp=1, timeout=30, arch="aarch64"):
    """QEMU's own DTB for this machine (what it writes for an ELF -kernel),
    e.g. for the emulator to model a machine with smp CPUs. Within a test
    run (bootcheck.pack.runcache) one machine's DTB is dumped once, by the first
    to ask (a QEMU start each), and copied to out for every other."""
    from ..pack import runcache
    if runcache.run_dir() is None:
        return _dump_dtb(out, machine, cpu, mem, smp, timeout, arch)
    argv = machine_argv(machine, cpu, mem, smp, arch)
    qemu = shutil.which(argv[0]) or argv[0]
    st = os.stat(qemu) if os.path.exists(qemu) else None
    key = runcache.key_of("dump_dtb", tuple(argv), qemu, st and (st.st_size, st.st_mtime_ns))
    stored = os.path.join(runcache.run_dir(), "dtb", f"{key}.dtb")

    def make():               # a failed dump raises: nothing stored, the next asker tries again
        os.makedirs(os.path.dirname(stored), exist_ok=True)
        _dump_dtb(stored, machine, cpu, mem, smp, timeout, arch)
        return stored

    runcache.shared("dump_dtb", key, make)
    tmp = f"{out}.{os.getpid()}.tmp"
    shutil.copyfile(stored, tmp)
    os.replace(tmp, out)
    return out


def _dump_dtb(out, machine, cpu, mem, smp, timeout, arch):
    import subprocess
    argv = machine_argv(f"{machine},dumpdtb={out}", cpu, mem, smp, arch)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0 or not os.path.exists(out):
        raise RuntimeError(f"QEMU could not dump its DTB: {' '.join(argv)}: {r.stderr.strip()}")
    return out


def is_virt(machine):
    """Whether a -machine value is QEMU virt (with any of its options)."""
    return machine.split(",")[0] == VIRT
