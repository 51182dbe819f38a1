"""bootcheck.reports.memmap and its pictures on hand-made observations (no emulator):
regions come from the observations, overlaps are found, the scale keeps a
4 KiB region visible next to 1 GiB, the terminal map lists the regions a
failed placement involves, and the chain marks the first broken link."""

import types

import pytest

from bootcheck.boot import qemu_machine
from bootcheck.check import contract
from bootcheck.reports import bootchain, memmap, report_chain_svg, report_memmap_svg

pytestmark = [pytest.mark.unit]

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
# An imaginary machine, deliberately not QEMU virt's addresses: nothing in the
# map may depend on where one architecture puts things.
RAM = (0x80000000, 0x80000000 + GIB)
KERNEL = (0x80200000, 0x80240000)
ROOTSERVER = 0x80230000
USER = (0xbffc0000, 0xc0000000)
DTB = (USER[0] + 0x1000, USER[0] + 0x1000 + 0x1800)     # inside the root task: the overlap


def fake_inputs():
    return types.SimpleNamespace(kernel_phys=KERNEL, ram=RAM)


def fake_loader():
    # (vaddr, paddr, offset, filesz, memsz, flags)
    return types.SimpleNamespace(segments=[(0x90000000, 0x90000000, 0, 0x8000, 0x10000, 5)],
                                 symbols={"boot_stack": (0x90008000, 0x4000),
                                          "__smp_stacks_start": (0x9000c000, 0),
                                          "__smp_stacks_end": (0x90010000, 0)})


def fake_obs(dtb=DTB):
    return {"reached_kernel": True,
            "x": [USER[0], USER[1], USER[0] - 0x10000, 0x10000, dtb[0], dtb[1] - dtb[0]],
            "rootserver": {"paddr": ROOTSERVER, "size": 72,
                           "stores": [{"offset": 0x20, "size": 8, "value": 0x1234, "pc": 0x90000100,
                                       "pc_symbol": "oops+0x10"}]},
            "user_segments": [{"index": 0, "paddr": USER[0], "filesz": 0x20000, "memsz": 0x38000}],
            "kernel_stores": [], "kernel_window": {"table_pages": [0x9000e000, 0x9000f000]},
            "satp_root": 0x9000d000,
            "other_store_ranges": [{"start": 0xa0000000, "end": 0xa0000100, "count": 32, "pc": 0x90000200,
                                    "pc_symbol": "scratch"}]}


def build(dtb=DTB):
    # riscv64: its regions carry RISC-V's register names (a0..a5).
    return memmap.build(fake_inputs(), fake_obs(dtb), fake_loader(), None, arch="riscv64")


def by_kind(mm, kind):
    return [(r["start"], r["end"]) for r in mm["regions"] if r["kind"] == kind]


def test_regions_come_from_the_observations():
    mm = build()
    assert by_kind(mm, "kernel") == [KERNEL]
    assert by_kind(mm, "rootserver") == [(ROOTSERVER, ROOTSERVER + 72)]
    assert by_kind(mm, "user") == [USER]
    assert by_kind(mm, "user_bss") == [(USER[0] + 0x20000, USER[0] + 0x38000)]
    assert by_kind(mm, "dtb") == [DTB]
    assert by_kind(mm, "loader") == [(0x90000000, 0x90010000)]
    assert sorted(by_kind(mm, "loader_stack")) == [(0x90008000, 0x9000c000), (0x9000c000, 0x90010000)]
    # The walked table pages and the root register's page, coalesced.
    assert by_kind(mm, "loader_tables") == [(0x9000d000, 0x90010000)]
    # No DTB given: RAM is what the kernel's target knows; free = RAM minus kernel, DTB, root task.
    assert by_kind(mm, "free") == [(KERNEL[1], USER[0])]
    assert [(m["kind"], m["start"]) for m in mm["marks"]] == [("stray", ROOTSERVER + 0x20),
                                                              ("scratch", 0xa0000000)]


def test_dtb_inside_the_root_task_is_an_overlap():
    assert build()["overlaps"] == [{"a": "root task [a0, a1)", "b": "DTB", "start": DTB[0], "end": DTB[1]}]
    apart = (KERNEL[1], KERNEL[1] + 0x1800)
    assert build(apart)["overlaps"] == []


def test_scale_keeps_a_small_region_visible_next_to_a_gib():
    mm = build()
    stretches, _ = report_memmap_svg._scale(mm)
    heights = {(a, b): y1 - y0 for a, b, y0, y1, _ in stretches}
    assert heights[DTB] >= report_memmap_svg.MIN_H
    # Linear inside a stretch: the middle of the DTB is halfway down its box.
    y0, y1 = report_memmap_svg._y(stretches, DTB[0]), report_memmap_svg._y(stretches, DTB[1])
    mid = report_memmap_svg._y(stretches, (DTB[0] + DTB[1]) // 2)
    assert mid == pytest.approx((y0 + y1) / 2)
    # ...and the 1 GiB of RAM is not a thousand times taller than 6 KiB.
    assert max(heights.values()) <= report_memmap_svg.MAX_H


def test_svg_crosses_the_dtb_and_root_task_boxes_and_hatches_the_overlap():
    svg = report_memmap_svg.render(build())
    assert svg.count('<g class="overlap"') == 1
    assert 'data-a="root task [a0, a1)" data-b="DTB"' in svg
    assert 'fill="url(#hatch)"' in svg
    assert svg.count('class="mark" data-kind="stray"') == 1
    assert "<script" not in svg


def test_text_map_lists_the_regions_a_failed_placement_involves():
    lines = memmap.text_map(build(), ["dtb"])
    assert lines[0].startswith("bootcheck: memory map of the regions involved")
    user = next(l for l in lines if "root task [a0, a1)" in l and "<- overlaps" in l)
    assert user.lstrip().startswith("! [0xbffc0000, 0xc0000000)")
    assert f"<- overlaps DTB on [0x{DTB[0]:x}, 0x{DTB[1]:x}) (6 KiB)" in user
    assert not any("loader image" in l for l in lines)
    assert memmap.text_map(build(), ["entry_state"]) == []        # not a placement rule: no map


def test_text_map_of_a_write_rule_marks_the_store():
    lines = memmap.text_map(build(), ["rootserver"])
    stray = [l for l in lines if l.lstrip().startswith("*")]
    assert stray == [f"  * [0x{ROOTSERVER + 0x20:x}, 0x{ROOTSERVER + 0x28:x})       8 B  store into rootserver "
                     "(+0x20) of 0x1234 from PC 0x90000100 (oops+0x10)"]


def finding(rule, status):
    return contract.Finding(rule, status, f"{rule} {status}")


def test_chain_highlights_the_first_broken_link_and_greys_what_follows():
    findings = [finding(r, "pass") for r, _ in contract.CHAIN]
    findings[contract.CHAIN_ORDER["dtb"]] = finding("dtb", "fail")
    findings[contract.CHAIN_ORDER["kernel_init"]] = finding("kernel_init", "fail")
    for r in ("user_context", "roottask_entry", "roottask_runs"):
        findings[contract.CHAIN_ORDER[r]] = finding(r, "not_observed")
    serial = "loader: jumping to kernel\nBootstrapping kernel\nERROR: reserved region 2 in wrong order\n"
    chain = bootchain.build(findings, serial)
    status = {s["id"]: s["status"] for s in chain["stages"]}
    assert status == {"loader": "fail", "kernel_entry": "pass", "init_kernel": "fail",
                      "restore_user_context": "not_reached", "roottask": "not_reached",
                      "system_init": "not_reached", "components": "not_reached"}
    assert (chain["first_broken"], chain["first_broken_stage"]) == ("dtb", "loader")
    svg = report_chain_svg.render(chain)
    assert svg.count("first-broken\"") == 1 and 'class="link first-broken" data-rule="dtb"' in svg
    para = report_chain_svg.broken_paragraph(chain, {"dtb": {"sentence": "dtb fail"}})
    assert 'href="#rule-dtb">10 (dtb)</a>' in para


def test_chain_reads_system_init_and_components_from_the_root_tasks_words():
    findings = [finding(r, "pass") for r, _ in contract.CHAIN]
    serial = ("roottask: chain: roottask -> system_init ok\n"
              "roottask: chain: system_init -> ipc_producer ok, ipc_consumer failed\n")
    chain = bootchain.build(findings, serial)
    stages = {s["id"]: s for s in chain["stages"]}
    assert stages["system_init"]["status"] == "pass"
    assert stages["components"]["status"] == "fail"
    assert stages["components"]["note"] == "ipc_producer ok, ipc_consumer failed"


def test_smp_lanes_one_per_core():
    findings = [finding(r, "pass") for r, _ in contract.CHAIN]
    cores = {"nodes": 3, "started": [{"target": 1, "state": "entered"},
                                     {"target": 2, "state": "stuck", "last_pc": 0x90000300,
                                      "last_pc_symbol": "park"}]}
    lanes = bootchain.build(findings, "", cores)["lanes"]
    assert [l["core"] for l in lanes] == [0, 1, 2]
    assert lanes[2]["stages"] == [["CPU_ON", "pass"], ["kernel_entry", "fail"]]
    assert "stuck at PC 0x90000300 (park)" in lanes[2]["note"]


def test_cli_prints_the_map_above_the_diagnosis(monkeypatch, capsys):
    """`make check`'s last line stays the diagnosis; the map comes right
    above it."""
    from bootcheck import cli
    from bootcheck.check import checkrun
    from bootcheck.reports import checkreport
    findings = [finding(r, "pass") for r, _ in contract.CHAIN]
    findings[contract.CHAIN_ORDER["dtb"]] = finding("dtb", "fail")
    verdict = checkrun.Verdict(image="/x/img.elf", kernel="k", roottask="u", payload="files", machine=qemu_machine.VIRT,
                               findings=findings, first_broken=findings[contract.CHAIN_ORDER["dtb"]],
                               target=types.SimpleNamespace(describe=lambda: "test kernel", unknown_line=lambda: None),
                               memory_map=build())
    monkeypatch.setattr(cli.linux_check, "is_linux_image", lambda image: False)
    monkeypatch.setattr(cli.checkrun, "check", lambda *a, **k: verdict)
    monkeypatch.setattr(verdict, "kernel_line", lambda: "bootcheck: kernel: test kernel")
    monkeypatch.setattr(checkreport, "write_all", lambda v, out: None)
    assert cli.main(["check", "/x/img.elf", "--out", "/nonexistent"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "bootcheck: FAIL at link 10 (dtb): dtb fail"
    at = lines.index(memmap.text_map(build(), ["dtb"])[0])
    assert lines[at:-1] == memmap.text_map(build(), ["dtb"])
