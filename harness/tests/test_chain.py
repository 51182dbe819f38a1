"""The boot chain of a capability system (roottask/components.toml): the
root task delegates to system_init, which spawns ipc_producer and
ipc_consumer with exactly the caps the manifest lists; they talk over a
badged endpoint (Call / ReplyRecv) and a notification-signalled shared
page. On the stand-in and, with SEL4_KERNEL, on real seL4. Every expected
value comes from the manifest, the ELFs or the C headers, never from a
previous run's output."""

import os

import pytest

from bootcheck import expect

from conftest import KERNEL_PARAMS, kernel_choice
from spawn_support import (IPC_PAIR_HEADER, abi, badge, component_facts, facts, granted,
                           header_constants, manifest, packed_tags, pages_of)

pytestmark = pytest.mark.qemu

_boots = {}


@pytest.fixture(params=KERNEL_PARAMS)
def kernel(request, artifacts):
    return request.param, kernel_choice(request.param, artifacts)


def boot_once(kind, kernel_path, roottask, booter):
    """Each image boots once per kernel in the run (booter.boot_shared, across
    xdist workers); tests read the log."""
    key = (kind, roottask)
    if key not in _boots:
        _boots[key] = booter.boot_shared(booter.pack(kernel_path, roottask), timeout=90)
    return _boots[key]


def entries(doc):
    return {c["name"]: (i, c) for i, c in enumerate(doc["component"])}


def elf_of(artifacts, entry):
    return entry["elf"].replace("${BUILD}", os.path.dirname(os.path.dirname(artifacts.roottask)))


def check_spawned(r, spawner_facts, artifacts, index, entry):
    """The spawn facts the parent printed, from the ELF and the manifest."""
    name, elf = entry["name"], elf_of(artifacts, entry)
    consts = abi()
    assert spawner_facts[f"spawn.{name}.entry"] == [hex(expect.elf_facts(elf).entry)], r.describe()
    frames = pages_of(elf) + consts["COMPONENT_STACK_PAGES"] + 1
    assert spawner_facts[f"spawn.{name}.frames"] == [str(frames)], r.describe()
    assert spawner_facts[f"spawn.{name}.badge"] == [hex(badge(index))], r.describe()
    grant = granted(entry)
    assert spawner_facts[f"spawn.{name}.slots"] == [str(len(grant)), hex(packed_tags(grant))], \
        r.describe()


def holds_line(entry):
    """What a component must print about its own CSpace: exactly its grant."""
    grant = granted(entry)
    slots = 1 << entry.get("cnode_bits", abi()["COMPONENT_DEFAULT_CNODE_BITS"])
    held = "".join(f" {slot}={kind}" for slot, kind, _ in grant)
    return f"{entry['name']}: holds{held}; the other {slots - len(grant)} slots are empty"


def chain_lines(doc, failed=()):
    """The root task's summary of the chain, in registry order."""
    out = []
    for parent in ["roottask"] + [c["name"] for c in doc["component"]]:
        kids = [c["name"] for c in doc["component"] if c["parent"] == parent]
        if kids:
            out.append(f"roottask: chain: {parent} -> " +
                       ", ".join(f"{k} {'FAILED' if k in failed else 'ok'}" for k in kids))
    return out


def test_chain_runs(kernel, artifacts, booter):
    kind, path = kernel
    r = boot_once(kind, path, artifacts.roottask, booter)
    doc = manifest()
    comps = entries(doc)
    lines = r.lines
    # Root task -> system_init.
    si_index, si = comps["system_init"]
    assert si["parent"] == "roottask"
    check_spawned(r, facts(r.serial), artifacts, si_index, si)
    assert facts(r.serial)["components.spawned"] == ["1"], r.describe()
    # The untyped system_init was given: its slot and size from the manifest.
    untyped_slot = 2 + si["caps"].index("untyped")
    assert component_facts(r.serial, "system_init")["untyped"] == \
        [hex(untyped_slot), str(si["memory_bits"])], r.describe()
    # system_init -> its children, each with exactly its manifest grant.
    children = [n for n, (_, c) in comps.items() if c["parent"] == "system_init"]
    assert sorted(children) == ["ipc_consumer", "ipc_producer"]
    si_facts = component_facts(r.serial, "system_init")
    assert si_facts["components.spawned"] == [str(len(children))], r.describe()
    for name in ["system_init"] + children:
        index, entry = comps[name]
        if name != "system_init":
            check_spawned(r, si_facts, artifacts, index, entry)
        assert holds_line(entry) in lines, r.describe()
        parent = "roottask" if name == "system_init" else "system_init"
        running = lines.index(f"{parent}: {name} running, IPC OK")
        assert lines.index(f"{name}: started") < running < lines.index(f"{parent}: {name} done"), \
            r.describe()
    assert not [l for l in lines if "cap check FAILED" in l], r.describe()
    assert lines.index("system_init: all children done") < lines.index("roottask: system_init done"), \
        r.describe()
    assert "roottask: components OK" in lines, r.describe()
    chain = chain_lines(doc)
    assert [l for l in lines if l.startswith("roottask: chain: ")] == chain, r.describe()
    assert "FAILED" not in r.serial and "invocation failed" not in r.serial, r.describe()


def test_ipc_between_applications(kernel, artifacts, booter):
    """Order, badge and content as the consumer checked them; the numbers in
    its line are the protocol header's, and the badges are the manifest's."""
    kind, path = kernel
    r = boot_once(kind, path, artifacts.roottask, booter)
    pair = header_constants(IPC_PAIR_HEADER)
    comps = entries(manifest())
    producer_caps = comps["ipc_producer"][1]["caps"]
    channel_badge = next(c["badge"] for c in producer_caps if "endpoint" in c)
    signal_badge = next(c["badge"] for c in producer_caps if "notification" in c)
    assert (pair["IPC_PAIR_CHANNEL_BADGE"], pair["IPC_PAIR_SIGNAL_BADGE"]) == \
        (channel_badge, signal_badge), "ipc_pair.h and components.toml disagree on the badges"
    n = pair["IPC_PAIR_MESSAGES"]
    assert (f"ipc_producer: sent {n} messages, each answered in order; shared page written and "
            "signalled") in r.lines, r.describe()
    assert (f"ipc_consumer: received {n} messages in order with badge {hex(channel_badge)}, each "
            f"answered; shared page: 4096 bytes as written, signalled with badge "
            f"{hex(signal_badge)}") in r.lines, r.describe()


def test_ungranted_use_gets_sel4_error(kernel, artifacts, booter):
    """The consumer was given receive-only caps; using them to send must be
    refused by the kernel with seL4_InvalidCapability, not delivered; so must
    invoking the first slot past its grant, which holds nothing."""
    kind, path = kernel
    r = boot_once(kind, path, artifacts.roottask, booter)
    consumer = entries(manifest())["ipc_consumer"][1]
    assert all(c["rights"] == ["read"] for c in consumer["caps"]), "the test needs read-only caps"
    first_empty = len(granted(consumer)) + 1
    for what in ("its receive-only endpoint", "its wait-only notification",
                 f"slot {first_empty}, which it was not given"):
        assert f"ipc_consumer: denied: Call on {what} -> seL4_InvalidCapability" in r.lines, \
            r.describe()


def test_fault_stays_local(kernel, artifacts, booter):
    """faulty stores to an unmapped address: seL4 sends the VMFault to its
    fault endpoint (slot 1, its parent's endpoint), system_init names it, the
    producer and consumer still finish, and the summary names faulty."""
    kind, path = kernel
    roottask = os.path.join(artifacts.fixtures, "components", "roottask-chain-fault.elf")
    r = boot_once(kind, path, roottask, booter)
    elf = expect.elf_facts(os.path.join(artifacts.fixtures, "components", "faulty.elf"))
    main_start, main_size = elf.symbols["component_main"]
    address = 0x7000000   # FAULTY_ADDRESS in fixtures/components/faulty.c
    assert f"faulty: storing to {hex(address)}, which is not mapped" in r.lines, r.describe()
    prefix = "system_init: component faulty faulted: VMFault at pc "
    line = next((l for l in r.lines if l.startswith(prefix)), None)
    assert line is not None, r.describe()
    pc = int(line[len(prefix):].split(",")[0], 16)
    assert main_start <= pc < main_start + main_size, r.describe()
    assert f", address {hex(address)} (data access, FSR " in line, r.describe()
    fsr = int(line.rsplit("FSR ", 1)[1].rstrip(")"), 16)
    # ESR of a data abort from EL0 (EC 0x24), a write (WnR, bit 6).
    assert fsr >> 26 == 0x24 and fsr & (1 << 6), r.describe()
    # The rest of the system keeps running.
    for name in ("ipc_producer", "ipc_consumer"):
        assert f"system_init: {name} done" in r.lines, r.describe()
    assert "roottask: system_init reports that faulty failed" in r.lines, r.describe()
    assert "roottask: boot FAILED: component faulty failed (reported by system_init)" in r.lines, \
        r.describe()
    doc = manifest(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "components",
                                "chain_fault.toml"))
    assert [l for l in r.lines if l.startswith("roottask: chain: ")] == \
        chain_lines(doc, failed={"faulty"}), r.describe()
