"""A kernel that faults before it has installed its own exception vectors is
caught by the loader's vectors (left in VBAR_EL1 at the hand-off), which name
the fault and stop the machine instead of letting it spin silently."""

import pytest

from bootcheck.pack import tinyelf

pytestmark = pytest.mark.qemu

KERNEL_VADDR = 0xffffff8040000000
KERNEL_PADDR = 0x40000000
UNMAPPED = 0x10   # in GiB 0, whose only mapping at hand-off is the UART's 2 MiB

# movz x1, #0x10 ; ldr x0, [x1] ; b .
FAULTING_KERNEL = [0xd2800201, 0xf9400020, 0x14000000]


def test_kernel_fault_before_its_vectors_is_reported(artifacts, booter, tmp_path):
    kernel = tmp_path / "faulting-kernel.elf"
    code = tinyelf.write(kernel, FAULTING_KERNEL, vaddr=KERNEL_VADDR, paddr=KERNEL_PADDR)
    image = booter.pack(str(kernel), artifacts.roottask, dtb=artifacts.virt_dtb)
    r = booter.boot(image, timeout=10)
    assert r.exit_code == 0 and not r.timed_out, r.describe()
    lines = [l for l in r.lines if l.startswith("loader:")]
    # The identity map has an L2 table for GiB 0 (for the UART) but no entry
    # for the first 2 MiB: a level-2 translation fault on a read, at EL1.
    assert ("loader: error: synchronous exception taken to EL1 from current EL with SP_ELx: "
            "data abort, translation fault, level 2, read (EC 0x25)") in lines, r.describe()
    regs = next(l for l in lines if l.startswith("loader:   ESR "))
    assert f"ELR 0x{code + 4:016x} FAR 0x{UNMAPPED:016x}" in regs, regs
    assert lines[-1] == ("loader:   (taken after the jump to the kernel, before it installed "
                         "its own vectors)"), r.describe()
