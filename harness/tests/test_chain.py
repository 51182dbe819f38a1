"""The boot chain of a capability system (roottask/components.toml): the
root task delegates to system_init, which spawns ipc_producer and
ipc_consumer with exactly the caps the manifest lists; they talk over a
badged endpoint (Call / ReplyRecv) and a notification-signalled shared
page. On the stand-in and, with SEL4_KERNEL, on real seL4. Every expected
value comes from the manifest, the ELFs or the C headers, never from a
previous run's output."""

import os

import pytest

from bootcheck.kernel import expect

from conftest import KERNEL_PARAMS, kernel_choice
from spawn_support import (IPC_PAIR_HEADER, abi, badge, component_facts, facts, granted,
                           granted_slots, header_constants, holds_line, kernel_mcs, manifest,
                           packed_tags, pages_of)

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
    """The spawn facts the parent printed, from the ELF and the manifest (and
    whether the kernel is MCS: an MCS-only cap's slot is empty otherwise)."""
    name, elf = entry["name"], elf_of(artifacts, entry)
    consts = abi()
    assert spawner_facts[f"spawn.{name}.entry"] == [hex(expect.elf_facts(elf).entry)], r.describe()
    frames = pages_of(elf) + consts["COMPONENT_STACK_PAGES"] + 1
    assert spawner_facts[f"spawn.{name}.frames"] == [str(frames)], r.describe()
    assert spawner_facts[f"spawn.{name}.badge"] == [hex(badge(index))], r.describe()
    grant = granted(entry, kernel_mcs(r))
    assert spawner_facts[f"spawn.{name}.slots"] == [str(granted_slots(entry)),
                                                    hex(packed_tags(grant))], r.describe()


def chain_lines(doc, outcome=None):
    """The root task's summary of the chain, in registry order; outcome maps
    a component to its word (default "ok")."""
    outcome = outcome or {}
    out = []
    for parent in ["roottask"] + [c["name"] for c in doc["component"]]:
        kids = [c["name"] for c in doc["component"] if c["parent"] == parent]
        if kids:
            out.append(f"roottask: chain: {parent} -> " +
                       ", ".join(f"{k} {outcome.get(k, 'ok')}" for k in kids))
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
        assert holds_line(entry, kernel_mcs(r)) in lines, r.describe()
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
    assert all(c["rights"] == ["read"] for c in consumer["caps"] if isinstance(c, dict)), \
        "the test needs read-only caps"
    first_empty = granted_slots(consumer) + 1
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
    doc = manifest(fixture_manifest("chain_fault.toml"))
    assert [l for l in r.lines if l.startswith("roottask: chain: ")] == \
        chain_lines(doc, {"faulty": "FAILED"}), r.describe()


# The chain summary never calls a component ok that did not report done,
# at any level: a spawn failing below the root task, a parent that never
# ran, a parent that ran and ended without a report. The expected outcome
# of each component follows from the fixtures' ELFs and the manifest.

def fixture_manifest(name):
    return os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "components", name)


def refused_segment(artifacts, entry):
    """The first segment of a component's ELF that lies below where
    components link (spawn.c refuses it), or None."""
    consts = abi()
    for vaddr, _, _, _, memsz, _ in expect.elf_facts(elf_of(artifacts, entry)).segments:
        if vaddr < consts["COMPONENT_IMAGE_BASE"]:
            return vaddr, vaddr + memsz
    return None


def test_spawn_failure_below_the_root_task(kernel, artifacts, booter):
    """system_init spawns its children in registry order; the one linked too
    low is refused, so it FAILED, the ones before it ran (ok) and the ones
    after it were never spawned (NOT RUN, never ok)."""
    kind, path = kernel
    roottask = os.path.join(artifacts.fixtures, "components", "roottask-chain-spawn-fail.elf")
    r = boot_once(kind, path, roottask, booter)
    doc = manifest(fixture_manifest("chain_spawn_fail.toml"))
    kids = [c for c in doc["component"] if c["parent"] == "system_init"]
    bad = next(i for i, c in enumerate(kids) if refused_segment(artifacts, c))
    outcome = {c["name"]: "ok" for c in kids[:bad]}
    outcome[kids[bad]["name"]] = "FAILED"
    outcome.update({c["name"]: "NOT RUN" for c in kids[bad + 1:]})
    assert 0 < bad < len(kids) - 1, "the fixture needs children before and after the refused one"
    assert [l for l in r.lines if l.startswith("roottask: chain: ")] == chain_lines(doc, outcome), \
        r.describe()
    start, end = refused_segment(artifacts, kids[bad])
    consts = abi()
    stack_bottom = consts["COMPONENT_STACK_TOP"] - consts["COMPONENT_STACK_PAGES"] * 0x1000
    assert (f"system_init: FAILED: spawn {kids[bad]['name']}: segment [{hex(start)}, {hex(end)}) "
            f"outside [{hex(consts['COMPONENT_IMAGE_BASE'])}, {hex(stack_bottom)}), where "
            "components link") in r.lines, r.describe()
    assert f"roottask: system_init reports that {kids[bad]['name']} failed" in r.lines, r.describe()
    for c in kids[bad + 1:]:
        assert f"roottask: system_init reports that {c['name']} never ran" in r.lines, r.describe()
        assert f"system_init: {c['name']} running, IPC OK" not in r.lines, r.describe()
    for c in kids[:bad]:
        assert f"system_init: {c['name']} done" in r.lines, r.describe()
    assert f"roottask: boot FAILED: component {kids[bad]['name']} failed (reported by system_init)" \
        in r.lines, r.describe()


def test_children_of_a_parent_that_never_ran(kernel, artifacts, booter):
    """The root task cannot spawn its first child (2 GiB of .bss), so it
    never spawns system_init, nor does anyone spawn system_init's children:
    the summary calls the first FAILED and all the others NOT RUN."""
    kind, path = kernel
    roottask = os.path.join(artifacts.fixtures, "components", "roottask-chain-not-run.elf")
    r = boot_once(kind, path, roottask, booter)
    doc = manifest(fixture_manifest("chain_not_run.toml"))
    first = doc["component"][0]
    assert first["parent"] == "roottask"
    memsz = sum(s[4] for s in expect.elf_facts(elf_of(artifacts, first)).segments)
    assert memsz > int(facts(r.serial)["untyped.ram_bytes"][0], 0), "the fixture must not fit"
    outcome = {c["name"]: "NOT RUN" for c in doc["component"][1:]}
    outcome[first["name"]] = "FAILED"
    assert [l for l in r.lines if l.startswith("roottask: chain: ")] == chain_lines(doc, outcome), \
        r.describe()
    assert not [l for l in r.lines if l.startswith("roottask: chain: ") and " ok" in l], r.describe()
    for c in doc["component"]:
        assert f"{c['name']}: started" not in r.lines, r.describe()
    failed = [l for l in r.lines if l.startswith("roottask: boot FAILED: ")]
    assert len(failed) == 1 and failed[0].startswith(
        f"roottask: boot FAILED: spawn {first['name']}: does not fit in memory: "), r.describe()


def test_children_of_a_parent_that_ended_without_report(kernel, artifacts, booter):
    """faulty holds what a spawner needs and has a child in the manifest,
    but faults right after its hello: the root task knows faulty FAILED and
    nothing about its child, which it must not call ok: NO REPORT."""
    kind, path = kernel
    roottask = os.path.join(artifacts.fixtures, "components", "roottask-chain-no-report.elf")
    r = boot_once(kind, path, roottask, booter)
    doc = manifest(fixture_manifest("chain_no_report.toml"))
    parent = doc["component"][0]["name"]
    kids = [c["name"] for c in doc["component"] if c["parent"] == parent]
    outcome = {parent: "FAILED", **{k: "NO REPORT" for k in kids}}
    assert [l for l in r.lines if l.startswith("roottask: chain: ")] == chain_lines(doc, outcome), \
        r.describe()
    assert f"roottask: {parent} running, IPC OK" in r.lines, r.describe()
    assert any(l.startswith(f"roottask: component {parent} faulted: VMFault at pc ") for l in r.lines), \
        r.describe()
    for k in kids:
        assert f"{k}: started" not in r.lines, r.describe()
