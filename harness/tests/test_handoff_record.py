"""The opt-in hand-off record protocol (loader/common/handoff_record.h):
`make image HANDOFF_RECORD=<kernel symbol>` makes the loader fill that kernel
variable with the plan's hand-off values. A probe kernel that declares one
prints what it finds, and every field must equal bootcheck.kernel.expect's values;
the pack step refuses a symbol that cannot hold the record; the loader
refuses a record outside the kernel; and real seL4, packed without the
protocol, gets no record member and no write."""

import os
import re
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from bootcheck.boot.qemu import DEFAULT_STOP_PATTERNS
from bootcheck.check import emu
from bootcheck.kernel import expect
from bootcheck.pack import images
from conftest import BUILD, qemu_dtb_for, virt_dtb_for

RECORD_SIZE = 8 * len(expect.RECORD_FIELDS)


def probe_record_line(serial):
    m = re.search(r"^probe: record (.*)$", serial, re.M)
    assert m, f"probe printed no 'record' line; serial:\n{serial}"
    return {k: int(v, 16) for k, v in (kv.split("=") for kv in m.group(1).split())}


def payload_members(image):
    """Names of the members of the image's payload archive, by `cpio -t`."""
    with open(image, "rb") as f:
        archive = ELFFile(f).get_section_by_name(".payload").data()
    out = subprocess.run(["cpio", "-it", "--quiet"], input=archive, stdout=subprocess.PIPE,
                         check=True, timeout=30).stdout
    return out.decode().split()


@pytest.mark.qemu
@pytest.mark.parametrize("dtb_source", ["payload", "qemu"])
def test_probe_kernel_reads_every_record_field(dtb_source, artifacts, booter):
    probe, symbol = artifacts.probe_record_el1, artifacts.probe_record_symbol
    dtb = artifacts.virt_dtb if dtb_source == "payload" else None
    image = booter.pack(probe, artifacts.roottask, dtb=dtb, handoff_record=symbol)
    assert "handoff.record" in payload_members(image)
    r = booter.boot(image, timeout=20, stop_patterns=DEFAULT_STOP_PATTERNS + ("probe: done",))
    assert "probe: done" in r.serial, r.describe()
    dtb_size = expect.handed_over_dtb_size(dtb, r.serial)
    assert dtb_size is not None, r.describe()

    want = expect.expected_record(probe, artifacts.roottask, dtb_size)
    got = probe_record_line(r.serial)
    assert list(got) == list(expect.RECORD_FIELDS)
    for field in expect.RECORD_FIELDS:
        assert got[field] == want[field], (
            f"record.{field}: kernel found 0x{got[field]:x}, expected 0x{want[field]:x}\n"
            f"{r.describe()}")
    pa = expect.record_paddr(probe, symbol)
    assert f"loader: hand-off record written at 0x{pa:x} ({RECORD_SIZE} bytes)" in r.serial


@pytest.mark.qemu
def test_without_the_option_nothing_is_written(artifacts, booter):
    """The same kernel packed without HANDOFF_RECORD: its variable keeps the
    zeros of its .bss, and the loader says nothing about a record."""
    image = booter.pack(artifacts.probe_record_el1, artifacts.roottask, dtb=artifacts.virt_dtb)
    assert "handoff.record" not in payload_members(image)
    r = booter.boot(image, timeout=20, stop_patterns=DEFAULT_STOP_PATTERNS + ("probe: done",))
    assert "probe: done" in r.serial, r.describe()
    assert probe_record_line(r.serial) == {f: 0 for f in expect.RECORD_FIELDS}
    assert "hand-off record" not in r.serial


def _pack_error(artifacts, tmp_path, symbol):
    r = images.pack(artifacts.probe_record_el1, artifacts.roottask, tmp_path / "image.elf",
                    handoff_record=symbol)
    assert r.returncode != 0, r.output
    assert not os.path.exists(tmp_path / "image.elf")
    return [line for line in r.output.splitlines() if line.startswith("pack: error:")]


def test_pack_refuses_a_missing_symbol(artifacts, tmp_path):
    assert _pack_error(artifacts, tmp_path, "no_such_symbol") == [
        "pack: error: hand-off record symbol 'no_such_symbol' is not in kernel.elf's symbol table"]


def test_pack_refuses_a_function(artifacts, tmp_path):
    va = expect.elf_facts(artifacts.probe_record_el1).symbols["probe_main"][0]
    assert _pack_error(artifacts, tmp_path, "probe_main") == [
        f"pack: error: hand-off record symbol 'probe_main' at 0x{va:x} is a function (STT_FUNC),"
        " not a data object (STT_OBJECT)"]


def test_pack_refuses_a_variable_too_small(artifacts, tmp_path):
    va, size = expect.elf_facts(artifacts.probe_record_el1).symbols["probe_data_pattern"]
    assert size < RECORD_SIZE
    assert _pack_error(artifacts, tmp_path, "probe_data_pattern") == [
        f"pack: error: hand-off record symbol 'probe_data_pattern' at 0x{va:x} is {size} bytes;"
        f" the record needs {RECORD_SIZE}"]


def _archive(tmp_path, members):
    """A payload archive made as the pack step makes one."""
    d = tmp_path / "payload"
    d.mkdir()
    for name, data in members:
        (d / name).write_bytes(data)
    names = "".join(f"{name}\n" for name, _ in members).encode()
    out = subprocess.run(["cpio", "-o", "-H", "newc", "--reproducible", "--quiet"], cwd=d,
                         input=names, stdout=subprocess.PIPE, check=True, timeout=30).stdout
    path = tmp_path / "payload.cpio"
    path.write_bytes(out)
    return str(path)


@pytest.mark.emu
def test_loader_refuses_a_record_outside_the_kernel(artifacts, tmp_path, monkeypatch):
    """A record member pointing at the root task's pages: the loader must stop
    before writing it (in Unicorn, with its exact error)."""
    probe, roottask, dtb = artifacts.probe_record_el1, artifacts.roottask, artifacts.virt_dtb
    want = expect.expected_handoff(probe, roottask, expect.dtb_handover_size(dtb))
    pa = want.user_phys[0]
    with open(probe, "rb") as k, open(roottask, "rb") as u, open(dtb, "rb") as d:
        archive = _archive(tmp_path, [("kernel.elf", k.read()), ("roottask.elf", u.read()),
                                      ("kernel.dtb", d.read()),
                                      ("handoff.record", pa.to_bytes(8, "little"))])
    monkeypatch.setenv("PAYLOAD_CPIO", archive)
    r = images.pack("", "", tmp_path / "image.elf", unchecked=True)
    assert r.returncode == 0, r.output
    res = emu.run(BUILD, r.image, tmp_path / "r.json")
    assert res.report["outcome"] == "stopped_machine", res.describe()
    kstart, kend = want.kernel_phys
    assert (f"loader: error: hand-off record at paddr [0x{pa:x}..0x{pa + RECORD_SIZE:x}) is not an"
            f" 8-byte aligned range inside the kernel image [0x{kstart:x}..0x{kend:x})\n"
            in res.uart), res.describe()
    assert "hand-off record written" not in res.uart


@pytest.mark.emu
def test_sel4_without_the_option_gets_no_record_and_no_write(sel4_kernel, artifacts, tmp_path):
    """seL4 13.0.0 takes its hand-off in registers and fills `rootserver`
    itself: packed as usual, the payload has no record member and the
    handoff_record check finds rootserver untouched."""
    image = images.pack_ok(sel4_kernel, artifacts.roottask, tmp_path / "image.elf",
                           dtb=virt_dtb_for(sel4_kernel))
    assert "handoff.record" not in payload_members(image)
    facts = expect.elf_facts(sel4_kernel)
    el = 2 if facts.entry < expect.UPPER_HALF else 1
    r = emu.run(BUILD, image, tmp_path / "r.json", el=el, qemu_dtb=qemu_dtb_for(sel4_kernel, el))
    assert r.report["outcome"] == "reached_kernel", r.describe()
    assert r.report["expected"]["handoff_record"] is None
    va, size = facts.symbols["rootserver"]
    vaddr, paddr = facts.segments[0][:2]
    rs = va - vaddr + paddr
    c = r.check("handoff_record")
    assert c["status"] == "pass", r.describe()
    assert c["message"] == (
        "payload has no handoff.record (protocol off), so the loader must write no boot record: "
        f"no store changed rootserver at paddr [0x{rs:x}..0x{rs + size:x})"), c["message"]
    assert "hand-off record" not in r.uart


def test_sel4_rootserver_cannot_take_the_record(sel4_kernel, artifacts, tmp_path):
    """seL4's own structure is the wrong shape for this protocol, and the pack
    step says so rather than let the loader overwrite it."""
    va, size = expect.elf_facts(sel4_kernel).symbols["rootserver"]
    if size >= RECORD_SIZE:
        pytest.skip(f"this kernel's rootserver is {size} bytes (an MCS build), large enough for the "
                    f"{RECORD_SIZE}-byte record, so the size refusal cannot be reached")
    r = images.pack(sel4_kernel, artifacts.roottask, tmp_path / "image.elf",
                    handoff_record="rootserver")
    assert r.returncode != 0
    assert (f"pack: error: hand-off record symbol 'rootserver' at 0x{va:x} is {size} bytes; the"
            f" record needs {RECORD_SIZE}") in r.output, r.output
