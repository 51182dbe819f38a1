"""Shared by the spawn tests: where the spawn fixtures are, the machine a
kernel needs, the component ABI constants (read from the C header the root
task and the components are built with) and the root task's fact lines."""

import os
import re

from bootcheck import expect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ABI_HEADER = os.path.join(ROOT, "roottask", "component_abi.h")
PAGE = 0x1000


def abi():
    """#define NAME value constants of component_abi.h (integers only)."""
    consts = {}
    with open(ABI_HEADER) as f:
        for m in re.finditer(r"^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)(?:ull)?\s*$", f.read(), re.M):
            consts[m.group(1)] = int(m.group(2), 0)
    return consts


def badge(index):
    with open(ABI_HEADER) as f:
        m = re.search(r"#define COMPONENT_BADGE\(i\)\s+\((0x[0-9a-f]+)ull", f.read())
    return int(m.group(1), 16) + index


def hello_word(index):
    with open(ABI_HEADER) as f:
        m = re.search(r"#define HELLO_WORD\(i\)\s+\((0x[0-9a-f]+)ull", f.read())
    return int(m.group(1), 16) + index


def facts(serial):
    out = {}
    for m in re.finditer(r"^roottask: ([A-Za-z0-9_.]+) = (.+?)\r?$", serial, re.M):
        out[m.group(1)] = m.group(2).split()
    return out


def pages_of(elf_path):
    """Pages the root task must load for an ELF: each PT_LOAD's page span."""
    total = 0
    for vaddr, _, _, _, memsz, _ in expect.elf_facts(elf_path).segments:
        total += ((vaddr + memsz + PAGE - 1) // PAGE) - vaddr // PAGE
    return total
