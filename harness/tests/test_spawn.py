"""The root task spawns the registry's components (roottask/components.toml)
after its hand-off checks and waits for each one's hello message: on the
stand-in kernel and, with SEL4_KERNEL, on real seL4 (EL1 or hyp build, the
machine chosen from the kernel's entry address). Also: a two-component
registry, a component too big for RAM, and manifest errors that must stop
the build with a clear message."""

import os
import subprocess

import pytest

from bootcheck.kernel import expect

from spawn_support import (ROOT, abi, badge, facts, hello_word, holds_line, kernel_mcs, manifest,
                           pages_of)
from conftest import KERNEL_PARAMS, kernel_choice

pytestmark = pytest.mark.qemu


@pytest.fixture(params=KERNEL_PARAMS)
def kernel(request, artifacts):
    return kernel_choice(request.param, artifacts)


def spawn_fixture(artifacts, name):
    return os.path.join(artifacts.fixtures, "components", name)


def boot(booter, kernel, roottask):
    """Each image boots once in the run (booter.boot_shared, across xdist
    workers): the default root task's boot with test_chain's, whose key
    (image bytes, kernel, timeout) it shares."""
    image = booter.pack(kernel, roottask)
    return booter.boot_shared(image, timeout=90)


def check_component_ran(r, index, name, elf):
    """Spawn facts from the ELF and the ABI header; the hello line; the message."""
    f = facts(r.serial)
    consts = abi()
    assert f[f"spawn.{name}.entry"] == [hex(expect.elf_facts(elf).entry)], r.describe()
    # ELF pages + stack + IPC buffer, each a frame of its own.
    frames = pages_of(elf) + consts["COMPONENT_STACK_PAGES"] + 1
    assert f[f"spawn.{name}.frames"] == [str(frames)], r.describe()
    assert f[f"spawn.{name}.badge"] == [hex(badge(index))], r.describe()
    assert f"{name}: started" in r.lines, r.describe()
    assert f[f"ipc.{name}"] == [hex(badge(index)), hex(consts["HELLO_LABEL"]),
                                str(consts["HELLO_LENGTH"])], r.describe()
    started = r.lines.index(f"{name}: started")
    ok = r.lines.index(f"roottask: {name} running, IPC OK")
    assert started < ok, r.describe()


def test_spawn_system_init(kernel, artifacts, booter):
    r = boot(booter, kernel, artifacts.roottask)
    lines = r.lines
    # The hand-off report comes first and is unchanged; the spawn follows it.
    assert "roottask: boot OK" in lines, r.describe()
    boot_ok = lines.index("roottask: boot OK")
    assert lines.index("system_init: started") > boot_ok, r.describe()
    check_component_ran(r, 0, "system_init",
                        os.path.join(os.path.dirname(artifacts.roottask), "system_init.elf"))
    assert facts(r.serial)["components.spawned"] == ["1"], r.describe()
    assert "roottask: components OK" in lines, r.describe()
    assert "boot FAILED" not in r.serial and "invocation failed" not in r.serial, r.describe()
    assert "halting..." in r.serial, r.describe()


def test_two_components(kernel, artifacts, booter):
    r = boot(booter, kernel, spawn_fixture(artifacts, "roottask-two.elf"))
    check_component_ran(r, 0, "system_init",
                        os.path.join(os.path.dirname(artifacts.roottask), "system_init.elf"))
    check_component_ran(r, 1, "greeter", spawn_fixture(artifacts, "greeter.elf"))
    assert facts(r.serial)["components.spawned"] == ["2"], r.describe()
    # greeter's manifest grants its own SchedContext: on MCS it holds it
    # (slot 3), without MCS that slot is empty; system_init, granted
    # nothing, holds only slot 1.
    doc = manifest(os.path.join(ROOT, "fixtures", "components", "two.toml"))
    greeter = next(c for c in doc["component"] if c["name"] == "greeter")
    assert "sched_context" in greeter["caps"], "the test needs a sched_context grant"
    for entry in doc["component"]:
        assert holds_line(entry, kernel_mcs(r)) in r.lines, r.describe()
    assert "roottask: components OK" in r.lines, r.describe()


def test_component_too_big(kernel, artifacts, booter):
    """2 GiB of .bss in 1 GiB of RAM: refused before anything is retyped."""
    r = boot(booter, kernel, spawn_fixture(artifacts, "roottask-huge.elf"))
    f = facts(r.serial)
    free = int(f["untyped.ram_bytes"][0], 0)
    failed = [l for l in r.lines if l.startswith("roottask: boot FAILED: ")]
    assert len(failed) == 1, r.describe()
    prefix = "roottask: boot FAILED: spawn huge_bss: does not fit in memory: needs 0x"
    assert failed[0].startswith(prefix), r.describe()
    need = int(failed[0][len(prefix) - 2:].split()[0], 16)
    assert need > 2 << 30 > free, r.describe()
    # The free figure is what the BootInfo untypeds hold minus the endpoint.
    have = int(failed[0].rsplit("have ", 1)[1].split()[0], 16)
    assert free - 0x100 <= have <= free, r.describe()
    assert "huge_bss: started" not in r.serial, r.describe()
    # The chain summary must not call a component that never ran ok.
    assert "roottask: chain: roottask -> huge_bss FAILED" in r.lines, r.describe()
    assert "invocation failed" not in r.serial, r.describe()


# `make spawn-manifest-check` builds into one directory of build/ for every
# manifest: its tests run on one pytest-xdist worker (make verify: --dist
# loadgroup), one at a time, or one test's build would pass for another's.
MANIFEST_BUILD = pytest.mark.xdist_group("spawn-manifest-check")


def manifest_build(tmp_path, text):
    manifest = tmp_path / "components.toml"
    manifest.write_text(text)
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT,
                           "spawn-manifest-check", f"SPAWN_MANIFEST={manifest}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300), str(manifest)


ENTRY = """
[[component]]
name = "{name}"
elf = "{elf}"
parent = "{parent}"
"""
GOOD_ELF = "${BUILD}/roottask/system_init.elf"
# A component that can spawn (the caps and memory it needs for that).
SPAWNER = """
[[component]]
name = "{name}"
elf = "${{BUILD}}/roottask/system_init.elf"
parent = "roottask"
memory_bits = {bits}
caps = ["tcb", "cnode", "vspace", "untyped", "asid_pool", "sched_control"]
"""
OBJECT = """
[[object]]
name = "{name}"
type = "{type}"
"""
CHILD = """
[[component]]
name = "{name}"
elf = "${{BUILD}}/roottask/ipc_consumer.elf"
parent = "{parent}"
caps = [{caps}]
"""


@MANIFEST_BUILD
@pytest.mark.parametrize("case,entries,message", [
    ("missing-elf", [("a", "${BUILD}/no/such.elf", "roottask")],
     "component 'a': ELF file '{build}/no/such.elf' does not exist"),
    ("unknown-parent", [("a", GOOD_ELF, "roottask"), ("b", GOOD_ELF, "nobody")],
     "component 'b': unknown parent 'nobody' (not 'roottask' nor a component of this manifest)"),
    ("duplicate-name", [("a", GOOD_ELF, "roottask"), ("a", GOOD_ELF, "roottask")],
     "duplicate component name 'a' (components #1 and #2)"),
])
def test_manifest_error_stops_build(case, entries, message, tmp_path, artifacts):
    text = "".join(ENTRY.format(name=n, elf=e, parent=p) for n, e, p in entries)
    expect_build_error(tmp_path, text, message)


def expect_build_error(tmp_path, text, message):
    r, manifest = manifest_build(tmp_path, text)
    build = os.environ.get("BUILD", "build")
    want = f"gen_components: error: {manifest}: " + message.format(build=build)
    assert r.returncode != 0, r.stdout
    assert want in r.stdout.splitlines(), r.stdout


@MANIFEST_BUILD
# The boot chain's manifest errors (issue: unknown parent, cycle, a cap to
# something that does not exist, more memory than the parent was given).
@pytest.mark.parametrize("case,text,message", [
    ("cycle", ENTRY.format(name="a", elf=GOOD_ELF, parent="b") +
     ENTRY.format(name="b", elf=GOOD_ELF, parent="a"),
     "component 'a': parent cycle a -> b -> a"),
    ("unknown-object", SPAWNER.format(name="init", bits=20) +
     CHILD.format(name="c", parent="init", caps='{ endpoint = "nowhere", rights = ["read"] }'),
     "component 'c': a cap names object 'nowhere', which the manifest does not declare"),
    ("object-type", SPAWNER.format(name="init", bits=20) + OBJECT.format(name="ch", type="notification") +
     CHILD.format(name="c", parent="init", caps='{ endpoint = "ch", rights = ["read"] }'),
     "component 'c': object 'ch' is a notification; the cap is for endpoint objects"),
    ("too-little-memory", SPAWNER.format(name="init", bits=16) +
     CHILD.format(name="c1", parent="init", caps="") + CHILD.format(name="c2", parent="init", caps=""),
     "component 'init': its children ['c1', 'c2'] need 0x{need:x} bytes, more than its "
     "memory_bits = 16 gives (0x10000)"),
    ("parent-cannot-spawn", ENTRY.format(name="a", elf=GOOD_ELF, parent="roottask") +
     CHILD.format(name="c", parent="a", caps=""),
     "component 'c': its parent 'a' cannot spawn it without the caps "
     "['tcb', 'cnode', 'vspace', 'untyped', 'asid_pool', 'sched_control']"),
    ("object-two-parents", SPAWNER.format(name="init", bits=20) + OBJECT.format(name="ch", type="endpoint") +
     CHILD.format(name="c1", parent="init", caps='{ endpoint = "ch", rights = ["read"] }') +
     CHILD.format(name="c2", parent="roottask", caps='{ endpoint = "ch", rights = ["write"] }'),
     "object 'ch': used by children of ['init', 'roottask']; an object is made by one parent "
     "for its own children"),
    ("priority-not-below-parent", SPAWNER.format(name="init", bits=20) +
     CHILD.format(name="c", parent="init", caps="").replace('parent = "init"', 'parent = "init"\npriority = 254'),
     "component 'c': priority 254 is not below its parent's 254"),
    ("grandchild-spawner", SPAWNER.format(name="init", bits=20) +
     SPAWNER.format(name="sub", bits=16).replace('parent = "roottask"', 'parent = "init"') +
     CHILD.format(name="c", parent="sub", caps=""),
     "component 'c': its parent 'sub' is not a child of the root task; only those get the "
     "registry mapped, so only they can spawn"),
    ("bad-rights", SPAWNER.format(name="init", bits=20) + OBJECT.format(name="ch", type="endpoint") +
     CHILD.format(name="c", parent="init", caps='{ endpoint = "ch", rights = ["fly"] }'),
     "component 'c': cap #1: 'rights' must be a list of ['grant', 'grant_reply', 'read', 'write']"),
    ("budget-over-period", SPAWNER.format(name="init", bits=20) +
     CHILD.format(name="c", parent="init", caps="").replace('parent = "init"',
                                                            'parent = "init"\nbudget_us = 2000\nperiod_us = 1000'),
     "component 'c': budget_us 2000 is more than period_us 1000"),
    ("budget-too-small", SPAWNER.format(name="init", bits=20) +
     CHILD.format(name="c", parent="init", caps="").replace('parent = "init"', 'parent = "init"\nbudget_us = 10'),
     "component 'c': budget_us must be an integer in [100, 10000000] (microseconds)"),
    ("unknown-mcs-cap", SPAWNER.format(name="init", bits=20) +
     CHILD.format(name="c", parent="init", caps='"sched_contexts"'),
     "component 'c': cap #1: unknown cap 'sched_contexts'; known: ['asid_pool', 'cnode', 'reply', "
     "'sched_context', 'sched_control', 'tcb', 'untyped', 'vspace'] or a table naming an "
     "endpoint or notification object"),
])
def test_chain_manifest_error_stops_build(case, text, message, tmp_path, artifacts):
    if "{need" in message:
        message = message.format(need=chain_need(artifacts, 2))
    expect_build_error(tmp_path, text, message)


def chain_need(artifacts, n_children):
    """What n children of the ipc_consumer ELF cost their parent, by the
    component ABI: pages, at most 3 page tables per segment plus 6 for stack
    and IPC buffer, VSpace 8 KiB, TCB 2 KiB, a 16-slot CNode, (MCS) a
    SchedContext of 128 bytes and a Reply object of 32, and 3 page tables for
    the parent's copy window."""
    consts = abi()
    elf = os.path.join(os.path.dirname(artifacts.roottask), "ipc_consumer.elf")
    segments = len(expect.elf_facts(elf).segments)
    pages = pages_of(elf) + consts["COMPONENT_STACK_PAGES"] + 1
    tables = 6 + 3 * segments
    per_child = (pages + tables) * 0x1000 + 0x2000 + 0x800 + (32 << 4) + 128 + 32
    return n_children * per_child + 3 * 0x1000


@MANIFEST_BUILD
@pytest.mark.unit
def test_good_manifest_builds(tmp_path, artifacts):
    """The same make path accepts a correct manifest (so the errors above
    come from the manifest, not from the build set-up)."""
    r, _ = manifest_build(tmp_path, ENTRY.format(name="a", elf=GOOD_ELF, parent="roottask"))
    assert r.returncode == 0, r.stdout
