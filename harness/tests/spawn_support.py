"""Shared by the spawn tests: where the spawn fixtures are, the machine a
kernel needs, the component ABI constants (read from the C header the root
task and the components are built with) and the root task's fact lines."""

import os
import re
import sys

from bootcheck.kernel import expect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "targets", "abi"))
import sel4abi  # noqa: E402
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


SEL4_ABI_HEADER = os.path.join(ROOT, "targets", "include", "sel4_abi.h")
IPC_PAIR_HEADER = os.path.join(ROOT, "roottask", "ipc_pair", "ipc_pair.h")
MANIFEST = os.path.join(ROOT, "roottask", "components.toml")


def header_constants(path):
    """#define NAME value (integers) of a C header."""
    consts = {}
    with open(path) as f:
        for m in re.finditer(r"^#define\s+(\w+)\s+\(?(0x[0-9a-fA-F]+|\d+)(?:ull)?\)?\s", f.read(), re.M):
            consts[m.group(1)] = int(m.group(2), 0)
    return consts


def manifest(path=MANIFEST):
    import tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


# The cap each manifest entry puts in a slot, named as the components print
# it and tagged with seL4's cap_tag (the ABI table's name for it).
_OWN_CAP_TAG = {"tcb": "thread", "cnode": "cnode", "vspace": "vspace", "untyped": "untyped",
                "asid_pool": "asid_pool", "reply": "reply", "sched_context": "sched_context",
                "sched_control": "sched_control"}
# Caps that exist only on an MCS kernel: their slot stays empty otherwise.
MCS_ONLY_CAPS = ("reply", "sched_context", "sched_control")


def granted(entry, mcs=False):
    """[(slot, name, tag)] a component's manifest entry gives it on a kernel
    with or without MCS: slot 1 is always its parent's endpoint, the caps
    fill slots 2, 3, ... (an MCS-only cap's slot is empty without MCS)."""
    tags = sel4abi.abi("16.0.0", mcs=True).cap_tags
    out = [(1, "endpoint", tags["endpoint"])]
    for slot, cap in enumerate(entry.get("caps", []), 2):
        if isinstance(cap, str):
            if cap in MCS_ONLY_CAPS and not mcs:
                continue
            out.append((slot, cap, tags[_OWN_CAP_TAG[cap]]))
        else:
            kind = "endpoint" if "endpoint" in cap else "notification"
            out.append((slot, kind, tags[kind]))
    return out


def granted_slots(entry):
    """x2: slot 1 and one slot per manifest cap, held or (MCS-only) empty."""
    return 1 + len(entry.get("caps", []))


def packed_tags(grant):
    """The x3 word (component_abi.h): 5 bits per slot, slot 1 lowest."""
    return sum(tag << (5 * (slot - 1)) for slot, _, tag in grant)


def holds_line(entry, mcs):
    """What a component must print about its own CSpace: exactly its grant."""
    grant = granted(entry, mcs)
    slots = 1 << entry.get("cnode_bits", abi()["COMPONENT_DEFAULT_CNODE_BITS"])
    held = "".join(f" {slot}={kind}" for slot, kind, _ in grant)
    return f"{entry['name']}: holds{held}; the other {slots - len(grant)} slots are empty"


ABI_FACT = re.compile(r"^roottask: sel4\.abi = (\S+) (mcs|nonmcs) smp=([01])\r?$", re.M)


def detected_abi(serial):
    """(releases, mcs, smp) of the root task's `sel4.abi` fact line, or None."""
    m = ABI_FACT.search(serial)
    if m is None:
        return None
    return sel4abi.detected_releases(m.group(1)), m.group(2) == "mcs", m.group(3) == "1"


def kernel_mcs(r):
    """Whether the root task found an MCS kernel (its `sel4.abi` line must be there)."""
    found = detected_abi(r.serial)
    assert found is not None, "no roottask: sel4.abi line\n" + r.describe()
    return found[1]


def component_facts(serial, name):
    """Fact lines "<name>: key = values" a spawning component printed."""
    out = {}
    for m in re.finditer(rf"^{re.escape(name)}: ([A-Za-z0-9_.]+) = (.+?)\r?$", serial, re.M):
        out[m.group(1)] = m.group(2).split()
    return out
