"""seL4's placement rule for the hand-off (facts file §3.1-§3.2) in numbers,
and the hand-off line our loader prints. Standard library only: gdb's Python
uses it at every scenario stop, where importing bootcheck.kernel.expect (pyelftools)
would cost more CPU than the rest of the run's Python (bootcheck.kernel.expect
reads the ELF files and calls it)."""

PAGE = 0x1000
M64 = (1 << 64) - 1


def round_up(v, a):
    return (v + a - 1) & ~(a - 1)


def round_down(v, a):
    return v & ~(a - 1)


def handoff_words(kernel_phys_end, user_virt, user_entry, dtb_size):
    """(x0..x5, dtb_phys, user_phys): the DTB right after the kernel's
    page-aligned image, the root task's page-aligned span user_virt on the
    next page after it."""
    nxt = kernel_phys_end
    dtb_phys = (0, 0)
    if dtb_size:
        dtb_phys = (nxt, nxt + dtb_size)
        nxt = round_up(dtb_phys[1], PAGE)
    user_phys = (nxt, nxt + user_virt[1] - user_virt[0])
    pv = (user_phys[0] - user_virt[0]) & M64
    return [user_phys[0], user_phys[1], pv, user_entry, dtb_phys[0], dtb_size], dtb_phys, user_phys


def parse_loader_handoff(serial):
    """The six values the loader printed, or None."""
    for line in serial.splitlines():
        if line.startswith("loader: handoff "):
            regs = dict(kv.split("=") for kv in line.split()[2:])
            return [int(regs[f"x{i}"], 16) for i in range(6)]
    return None
