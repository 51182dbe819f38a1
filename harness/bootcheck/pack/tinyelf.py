"""Writes minimal AArch64 or riscv64 ELF executables (one PT_LOAD of raw
instructions) for tests that need a kernel or loader doing exactly one wrong
thing."""

import struct

EHDR_SIZE, PHDR_SIZE = 64, 56


EM_AARCH64, EM_RISCV = 183, 243


def write(path, code, vaddr, paddr=None, entry_offset=0, machine=EM_AARCH64):
    """One RWX PT_LOAD holding the headers and `code` (32-bit instruction
    words), loaded at vaddr (and paddr, default vaddr). Returns the virtual
    address of the first instruction; the entry is that + entry_offset."""
    paddr = vaddr if paddr is None else paddr
    body = b"".join(struct.pack("<I", insn) for insn in code)
    off = EHDR_SIZE + PHDR_SIZE
    ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, machine, 1,
                       vaddr + off + entry_offset, EHDR_SIZE, 0, 0, EHDR_SIZE, PHDR_SIZE, 1, 64,
                       0, 0)
    size = off + len(body)
    phdr = struct.pack("<IIQQQQQQ", 1, 7, 0, vaddr, paddr, size, size, 0x1000)
    with open(path, "wb") as f:
        f.write(ehdr + phdr + body)
    return vaddr + off
