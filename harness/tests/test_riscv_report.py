"""The pictures of a RISC-V `bootcheck check` verdict (bootcheck.reports.rv_pictures):
the physical memory map, the boot chain with its first broken link and the
terminal map, on rvalt's good image and its mutants around the riscv64
stand-in (fixtures/altloader/arch/riscv64), and on seL4's stock elfloader
image beside each real riscv64 kernel in SEL4_KERNEL. Each bug must show in
the picture's content: the DTB-overlaps-user mutant's map has the overlap,
the rootserver writer's map has its stores inside rootserver, the a1-short
mutant's map has the root task's page left outside [a0, a1); every number
asserted comes from the ELF files or the emulator's registers."""

import os
import re

import pytest

from bootcheck.check import checkrun
from bootcheck.kernel import expect, target
from bootcheck.pack import images as images_mod
from bootcheck.reports import memmap

import rvalt_support
from conftest import BUILD, SEL4_KERNELS

KERNEL_ARCHES = ("riscv64",)
pytestmark = [pytest.mark.qemu, pytest.mark.emu]

KERNEL = os.path.join(BUILD, "targets", "standin", "riscv64", "kernel.elf")
ROOTTASK = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
PAGE = 0x1000


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    for path in (KERNEL, ROOTTASK):
        if not os.path.isfile(path):
            pytest.skip(f"{path} is not built (`make all`)")
    # The images test_rvalt.py checks too: built once per run for both.
    return rvalt_support.images(tmp_path_factory.mktemp("rvalt"), KERNEL, ROOTTASK)


def verdict(image, tmp_path, kernel=KERNEL, roottask=ROOTTASK):
    """The verdict `bootcheck check --seconds 40` wrote (verdict.json) and
    its report.html; each check is made once per run, and test_rvalt.py
    reads the same one's last line."""
    r, data, out = rvalt_support.check(tmp_path, image, kernel, roottask)
    assert data is not None, r.stdout + r.stderr
    return rvalt_support.verdict_of(data), (out / "report.html").read_text()


def regions(v, kind):
    return [r for r in v.memory_map["regions"] if r["kind"] == kind]


def emu_a(v):
    return [int(x, 16) for x in v.emu["x"]]


def test_good_image_map_has_every_region_and_no_overlap(images, tmp_path):
    v, html = verdict(images["good"], tmp_path)
    assert v.status == "pass", v.diagnosis_line()
    a = emu_a(v)
    k = expect.elf_facts(KERNEL)
    mm = v.memory_map
    assert [(r["start"], r["end"]) for r in regions(v, "kernel")] == [(k.pmin, expect.round_up(k.pmax, PAGE))]
    assert [(r["name"], r["start"], r["end"]) for r in regions(v, "user")] == [("root task [a0, a1)", a[0], a[1])]
    assert [(r["name"], r["start"], r["end"]) for r in regions(v, "dtb")] == [("DTB", a[4], a[4] + a[5])]
    # The stores by destination: the loader wrote at least every byte of the kernel's segments.
    note = regions(v, "kernel")[0]["note"]
    m = re.search(r"the loader stored (\d+) bytes here \((\d+) stores", note)
    assert m and int(m.group(1)) >= sum(s[4] for s in k.segments), note
    assert "the loader stored" in regions(v, "user")[0]["note"]
    ram = regions(v, "ram")[0]
    # OpenSBI's region: at the start of RAM, below the kernel, M-mode only.
    fw = regions(v, "firmware")
    assert len(fw) == 1 and fw[0]["start"] == ram["start"] and fw[0]["end"] <= k.pmin, fw
    assert fw[0]["name"].startswith("OpenSBI") and "M-mode only" in fw[0]["name"]
    # The Sv39 tables the kernel was entered with: in RAM, clear of what was handed over.
    tables = regions(v, "loader_tables")
    assert tables, mm["regions"]
    for t in tables:
        assert ram["start"] <= t["start"] < t["end"] <= ram["end"]
        assert not any(t["start"] < r["end"] and r["start"] < t["end"]
                       for r in regions(v, "kernel") + regions(v, "user") + regions(v, "dtb")), t
    assert mm["overlaps"] == [] and mm["marks"] == [] and v.text_map() == []
    assert mm["titles"]["handoff"] == "handed over (a0..a5)"
    chain = v.boot_chain
    assert chain["first_broken"] is None
    assert [s["id"] for s in chain["stages"]][:2] == ["firmware", "loader"]
    assert chain["stages"][0]["status"] == "pass"
    labels = {l["rule"]: l["label"] for s in chain["stages"] for l in s["links"]}
    assert (labels["user_region"], labels["pv_offset"], labels["user_entry"], labels["roottask_entry"]) == \
        ("a0/a1", "a2", "a3", "U-mode")
    assert 'class="memmap"' in html and 'class="bootchain"' in html and "handed over (a0..a5)" in html
    assert 'data-kind="firmware"' in html


def test_dtb_over_the_user_image_shows_as_an_overlap(images, tmp_path):
    v, html = verdict(images["dtb-overlaps-user"], tmp_path)
    a = emu_a(v)
    assert a[4] == a[0], "the mutant hands over a4 = a0"
    mm = v.memory_map
    assert mm["overlaps"] == [{"a": "root task [a0, a1)", "b": "DTB", "start": a[0], "end": a[0] + a[5]}]
    size = memmap.size_text(a[5])
    lines = v.text_map()
    assert any(l.startswith("  ! [") and l.endswith(f"root task [a0, a1)  <- overlaps DTB on [0x{a[0]:x}, "
                                                     f"0x{a[0] + a[5]:x}) ({size})") for l in lines), lines
    assert any(l.startswith("  ! [") and l.endswith(f"DTB  <- overlaps root task [a0, a1) on [0x{a[0]:x}, "
                                                     f"0x{a[0] + a[5]:x}) ({size})") for l in lines), lines
    assert v.boot_chain["first_broken"] == "dtb" and v.boot_chain["first_broken_stage"] == "loader"
    assert 'class="overlap" data-a="root task [a0, a1)" data-b="DTB"' in html
    assert 'class="link first-broken" data-rule="dtb"' in html


def test_stores_into_rootserver_are_marked_inside_it(images, tmp_path):
    v, html = verdict(images["write-rootserver"], tmp_path)
    k = expect.elf_facts(KERNEL)
    at, size = k.symbols["rootserver"]
    rs = at - (k.vmin - k.pmin)
    assert [(r["start"], r["end"]) for r in regions(v, "rootserver")] == [(rs, rs + size)]
    marks = v.memory_map["marks"]
    assert marks and all(m["kind"] == "stray" and rs <= m["start"] < m["end"] <= rs + size for m in marks), marks
    assert [m["label"].split(" of ")[0] for m in marks] == ["store into rootserver (+0x20)",
                                                           "store into rootserver (+0x28)"]
    lines = v.text_map()
    assert any(l.startswith(f"  * [0x{rs + 0x20:x}, 0x{rs + 0x28:x})") and "store into rootserver (+0x20)" in l
               for l in lines), lines
    assert v.boot_chain["first_broken"] == "rootserver"
    assert 'class="mark" data-kind="stray"' in html


def test_a1_short_leaves_the_root_tasks_last_page_outside(images, tmp_path):
    v, _ = verdict(images["a1-page-short"], tmp_path)
    a = emu_a(v)
    u = expect.elf_facts(ROOTTASK)
    end = a[0] + expect.round_up(u.vmax, PAGE) - expect.round_down(u.vmin, PAGE)
    assert end - a[1] == PAGE
    assert [(m["start"], m["end"]) for m in v.memory_map["marks"]] == [(a[1], end)]
    lines = v.text_map()
    assert any(l.startswith(f"  * [0x{a[1]:x}, 0x{end:x})") and "the root task's last 4 KiB lie past a1" in l
               for l in lines), lines
    # The page past a1 is what seL4 would count as free.
    assert any(r["start"] == a[1] for r in regions(v, "free")), v.memory_map["regions"]
    assert v.boot_chain["first_broken"] == "user_region"


def test_a_loader_that_never_reaches_the_kernel_has_a_chain_but_no_map(images, tmp_path):
    v, html = verdict(images["never-reaches-kernel"], tmp_path)
    assert v.memory_map is None
    assert v.boot_chain["first_broken"] == "kernel_reached"
    assert v.boot_chain["stages"][0] == {**v.boot_chain["stages"][0], "id": "firmware", "status": "pass"}
    assert "No memory map: the loader never reached the kernel" in html
    assert v.text_map() == []


STOCK = [(fid, p) for fid, p in SEL4_KERNELS if os.path.isfile(p) and target.read(p).arch == "riscv64"
         and os.path.isfile(os.path.join(os.path.dirname(p), "stock-image.elf"))]


@pytest.mark.parametrize("kernel", [p for _, p in STOCK] or ["none"], ids=[fid for fid, _ in STOCK] or ["sel4"])
def test_sel4_stock_elfloader_map(kernel, tmp_path):
    if kernel == "none":
        pytest.skip("no real riscv64 kernel with a stock-image.elf beside it in SEL4_KERNEL "
                    "(e.g. /work/sel4/kernels/16.0.0-rv64/kernel.elf)")
    image = os.path.join(os.path.dirname(kernel), "stock-image.elf")
    v = checkrun.check(image, kernel=kernel, seconds=60)
    assert v.status == "pass", v.diagnosis_line()
    a = emu_a(v)
    mm = v.memory_map
    assert mm["overlaps"] == [] and v.text_map() == []
    assert [(r["start"], r["end"]) for r in regions(v, "user")] == [(a[0], a[1])]
    assert [(r["start"], r["end"]) for r in regions(v, "dtb")] == [(a[4], a[4] + a[5])]
    assert regions(v, "firmware") and regions(v, "loader_tables")
    assert v.boot_chain["first_broken"] is None
    cores = target.read(kernel).cores
    lanes = v.boot_chain["lanes"]
    if cores > 1:
        # One lane per hart, each started (SBI HSM hart_start) and entered the kernel.
        assert [lane["core"] for lane in lanes] == list(range(cores))
        assert all(lane["stages"][-1] == ["kernel_entry", "pass"] for lane in lanes), lanes
        assert all(lane["stages"][0] == ["hart_start", "pass"] for lane in lanes[1:]), lanes
    else:
        assert lanes == []


def test_our_image_draws_its_boot_stub_under_the_kernel_without_an_overlap(tmp_path):
    """`make image` links an 8-byte stub at OpenSBI's jump address, where the
    kernel is loaded later (a kernel linked at 0x80200000, as 16.0.0's):
    drawn as the loader's boot stub, not an overlap."""
    kernel = os.path.join(BUILD, "targets", "standin", "riscv64", "kernel-16.0.0.elf")
    for path in (kernel, ROOTTASK):
        if not os.path.isfile(path):
            pytest.skip(f"{path} is not built (`make all`)")
    # `make image` (bootcheck.pack.images: the same pack step, made once per run).
    image = images_mod.pack_ok(kernel, ROOTTASK, tmp_path / "ours.elf")
    v, _ = verdict(str(image), tmp_path, kernel=kernel)
    assert v.status == "pass", v.diagnosis_line()
    k = expect.elf_facts(kernel)
    stubs = regions(v, "loader_stub")
    assert stubs and all(k.pmin <= r["start"] < r["end"] <= k.pmax for r in stubs), v.memory_map["regions"]
    assert v.memory_map["overlaps"] == []


BANNER = """OpenSBI v1.1
Firmware Base             : 0x80000000
Firmware Size             : 288 KB
Domain0 Region00          : 0x0000000002000000-0x000000000200ffff (I)
Domain0 Region01          : 0x0000000080000000-0x000000008007ffff ()
Domain0 Region02          : 0x0000000000000000-0xffffffffffffffff (R,W,X)
"""


@pytest.mark.unit
def test_opensbi_region_from_its_banner():
    from bootcheck.reports import rv_pictures
    got = rv_pictures.firmware_regions(BANNER)
    assert [(r["name"], r["kind"], r["start"], r["end"]) for r in got] == \
        [("OpenSBI v1.1 (M-mode only)", "firmware", 0x80000000, 0x80080000)]
    assert got[0]["note"] == "PMP keeps S-mode out; firmware image 288 KiB at 0x80000000"
    # Without the domain lines, the firmware image itself.
    only_image = "\n".join(BANNER.splitlines()[:3])
    assert [(r["start"], r["end"]) for r in rv_pictures.firmware_regions(only_image)] == \
        [(0x80000000, 0x80000000 + 288 * 1024)]
    assert rv_pictures.firmware_regions("no firmware banner\n") == []
