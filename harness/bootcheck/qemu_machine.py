"""The one place that starts a QEMU `virt` command line.

Every boot in the harness (plain runs, GDB sessions, instruction traces,
boot-cost measurements) begins with `machine_argv`, so every command line asks
for exactly the devices the project uses. QEMU's defaults would add a virtio
NIC whose option ROM (`efi-virtio.rom`) lives in the `ipxe-qemu` package,
which a minimal Debian does not have: `-nic none` removes that dependency.
"""
import os

QEMU = os.environ.get("QEMU", "qemu-system-aarch64")

# What no boot needs: a network card (and its ROM) and a display.
NO_DEFAULT_DEVICES = ("-nic", "none", "-display", "none")


def machine_argv(machine="virt", cpu="cortex-a53", mem=1024):
    """QEMU's argv up to the machine, CPU, RAM and device choices."""
    return [QEMU, "-machine", machine, "-cpu", cpu, "-m", str(mem), *NO_DEFAULT_DEVICES]
