"""Debian's arm64 Linux kernel booted by U-Boot's booti, with our initramfs
(fixtures/linux_init): the Linux boot contract (targets/linux-arm64-boot.md)
as a real firmware honours it, observed by gdb at the kernel's first
instruction and by the line our init prints."""
import os
import tempfile

from ..boot import gdbrun
from . import uboot

# Where QEMU places the Image and the initramfs before U-Boot runs: the
# Image at a 2 MiB-aligned base (its header says text_offset 0, placement
# anywhere, so booti leaves it there), the initramfs past the Image's
# image_size, both well below U-Boot's own memory at the top of RAM.
IMAGE_ADDR = 0x40200000
INITRD_ADDR = 0x48000000
INIT_LINE = "bootcheck-init: Linux reached user space"
# Besides the console and "power off on a panic": what Debian's kernel
# would spend on work no test observes, under QEMU's emulation about a fifth
# of a boot's CPU time (measured: 3.0 -> 2.4 CPU-s a boot to our init): its
# crypto self-tests, relocating itself to a random address, the speculation
# mitigations' set-up and the audit subsystem. The boot's observable stays:
# the hand-off at the Image's entry, the banner, the command line, our init.
FAST_BOOT = "cryptomgr.notests nokaslr mitigations=off audit=0"
BOOTARGS = f"console=ttyAMA0 panic=-1 {FAST_BOOT}"


def missing(image):
    """Why a Linux boot cannot run here, or None."""
    why = uboot.missing()
    if why:
        return why
    if not os.path.isfile(image):
        return (f"Debian's arm64 kernel is not at {image}: `make linux-image` (run by make deps) "
                "fetches it with apt-get download; the download failed or was not run")
    return None


def boot(image, initrd, machine, timeout=60.0, log_path=None, capture=True, bootargs=BOOTARGS):
    """U-Boot: `setenv bootargs`, then `booti IMAGE INITRD:SIZE FDT`. Ends on
    our init's line or when the kernel powers QEMU off."""
    rundir = tempfile.mkdtemp(prefix="bcl", dir=gdbrun._socket_safe_tmpdir())
    size = os.path.getsize(initrd)
    return uboot.boot_loads(
        rundir, [(image, IMAGE_ADDR), (initrd, INITRD_ADDR)], [f"setenv bootargs {bootargs}"],
        uboot.booti_command(IMAGE_ADDR, (INITRD_ADDR, size)), machine, timeout=timeout,
        stop_patterns=("reboot: Power down", "Kernel panic"), log_path=log_path,
        capture_at=IMAGE_ADDR if capture else None)
