"""The pictures of a RISC-V `bootcheck check` verdict: the physical memory
map and the boot chain, as the AArch64 verdict has them (bootcheck.reports.memmap,
bootcheck.reports.bootchain), from what the riscv64 emu-check observed (a0..a5, the
Sv39 table pages reachable from satp, the stores by destination, the stores
into seL4's rootserver) and what QEMU's serial log shows of OpenSBI (its
firmware region, which PMP keeps M-mode only).

Nothing here knows a loader's placement: every region comes from the
registers handed over, the ELF files, QEMU's DTB for the machine and
OpenSBI's own banner."""

import re

from ..kernel import expect
from . import bootchain, memmap

# OpenSBI's banner (lib/sbi/sbi_init.c): the firmware image and the domain's
# memory regions; one with no permissions, "()", is M-mode only (PMP).
FIRMWARE_BASE = re.compile(r"^Firmware Base\s*:\s*(0x[0-9a-fA-F]+)", re.M)
FIRMWARE_SIZE = re.compile(r"^Firmware Size\s*:\s*(\d+) KB", re.M)
M_ONLY_REGION = re.compile(r"^Domain\d+ Region\d+\s*:\s*(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+) \(\)", re.M)
OPENSBI = re.compile(r"^OpenSBI (v\S+)", re.M)
SATP_PPN_MASK = (1 << 44) - 1
# Link labels in RISC-V's words (bootcheck.reports.bootchain's are AArch64's).
LINK_LABELS = {"entry_state": "S/satp", "kernel_window": "Sv39", "user_region": "a0/a1",
               "pv_offset": "a2", "user_entry": "a3", "dtb": "a4/a5", "cores": "harts",
               "roottask_entry": "U-mode"}
# Where stores outside every image land, as emu-check's write map names them.
STRAY = {"firmware (OpenSBI)": "stray", "elsewhere": "scratch"}


def _int(v):
    return int(v, 16) if isinstance(v, str) else int(v)


def firmware_regions(serial):
    """OpenSBI's region(s) from its banner: the M-mode-only (PMP) domain
    regions in RAM, else the firmware image (base, size). [] without a
    banner (no QEMU run, or another firmware)."""
    out = []
    base, size = FIRMWARE_BASE.search(serial), FIRMWARE_SIZE.search(serial)
    version = OPENSBI.search(serial)
    name = f"OpenSBI {version.group(1)}" if version else "OpenSBI"
    image = (f"firmware image {size.group(1)} KiB at {base.group(1)}" if base and size else "")
    for m in M_ONLY_REGION.finditer(serial):
        lo, hi = int(m.group(1), 16), int(m.group(2), 16) + 1
        if base and lo <= int(base.group(1), 16) < hi:
            out.append(memmap.region(f"{name} (M-mode only)", "firmware", "loader", lo, hi,
                                     f"PMP keeps S-mode out; {image}".rstrip("; ")))
    if not out and base and size:
        lo = int(base.group(1), 16)
        out.append(memmap.region(name, "firmware", "loader", lo, lo + int(size.group(1)) * 1024, image))
    return out


def observations(inp, report):
    """emu-check's riscv64 report in the shape bootcheck.reports.memmap reads."""
    o = report.get("observations") or {}
    if report.get("outcome") != "reached_kernel" or not o.get("a"):
        return {"reached_kernel": False}
    a = [_int(v) for v in o["a"]]
    obs = {"reached_kernel": True, "x": a[:6],
           "kernel_window": {"table_pages": [_int(p) for p in o.get("table_pages", [])]}}
    satp = _int(o.get("satp", 0))
    if satp >> 60 == 8:
        obs["satp_root"] = (satp & SATP_PPN_MASK) << 12
    vmin = expect.round_down(inp.roottask.vmin, expect.PAGE)
    obs["user_segments"] = [{"index": i, "paddr": v - vmin + a[0], "filesz": filesz, "memsz": memsz}
                            for i, (v, _p, _o, filesz, memsz, _f) in enumerate(inp.roottask.segments)]
    rs = o.get("rootserver")
    if rs:
        obs["rootserver"] = {"paddr": _int(rs["paddr"]), "size": rs["size"],
                             "stores": [{"paddr": _int(s["paddr"]), "size": s["size"], "value": _int(s["value"]),
                                         "pc": _int(s["pc"]), "pc_symbol": s.get("pc_symbol", "?"),
                                         "offset": _int(s["paddr"]) - _int(rs["paddr"])}
                                        for s in rs.get("stores", [])]}
    obs["other_store_ranges"] = [{"start": _int(w["start"]), "end": _int(w["end"]), "count": w["stores"],
                                  "pc": _int(w["pc"]), "pc_symbol": w.get("pc_symbol", "?")}
                                 for w in o.get("writes", []) if STRAY.get(w["region"]) == "scratch"]
    obs["firmware_stores"] = [w for w in o.get("writes", []) if STRAY.get(w["region"]) == "stray"]
    return obs


def memory_map(inp, report, image_facts, dtb_blob, serial):
    """The map's dict (bootcheck.reports.memmap's shape), or None when the loader
    never reached the kernel. The loader column also holds OpenSBI; a loader
    segment the kernel's image covers (a boot stub at the firmware's jump
    address, which the kernel then overwrites) is drawn as that stub and
    not counted as an overlap."""
    obs = observations(inp, report)
    mm = memmap.build(inp, obs, image_facts, dtb_blob, arch="riscv64")
    if mm is None:
        return None
    kstart, kend = inp.kernel_phys
    for r in mm["regions"]:
        if r["kind"] == "loader" and kstart <= r["start"] and r["end"] <= kend and r["end"] - r["start"] < memmap.PAGE:
            r.update(name="loader boot stub", kind="loader_stub",
                     note=r["note"] + "; the first instructions OpenSBI jumps to, overwritten by the kernel image")
    _store_notes(mm["regions"], (report.get("observations") or {}).get("writes", []))
    mm["regions"] += firmware_regions(serial)
    for w in obs.get("firmware_stores", []):
        mm["marks"].append({"kind": "stray", "start": _int(w["start"]), "end": _int(w["end"]),
                            "label": f"{w['stores']} store(s) into the firmware's memory, first from PC "
                                     f"0x{_int(w['pc']):x} ({w.get('pc_symbol', '?')})"})
    a = obs["x"]
    span = expect.round_up(inp.roottask.vmax, expect.PAGE) - expect.round_down(inp.roottask.vmin, expect.PAGE)
    if a[1] > a[0] and a[0] + span > a[1]:
        mm["marks"].append({"kind": "stray", "start": a[1], "end": a[0] + span,
                            "label": f"the root task's last {memmap.size_text(a[0] + span - a[1])} lie past a1: "
                                     "outside [a0, a1), seL4 hands them out as free memory"})
    mm["overlaps"] = memmap.overlaps(mm["regions"])
    mm["titles"] = {"loader": "loader and firmware", "handoff": "handed over (a0..a5)"}
    return mm


# emu-check's write-map destinations -> the region kind that holds them.
DESTINATION_KIND = {"kernel image": "kernel", "user image": "user", "DTB": "dtb", "page tables": "loader_tables",
                    "loader image": "loader"}


def _store_notes(regions, writes):
    """The stores by destination, on the region each went to: 'the loader
    stored 73728 bytes here (42285 stores, [0x84000000..0x84012000))'."""
    for w in writes:
        kind = DESTINATION_KIND.get(w["region"])
        lo, hi = _int(w["start"]), _int(w["end"])
        r = next((r for r in regions if r["kind"] == kind and r["start"] < hi and lo < r["end"]), None)
        if r is None:
            continue
        text = f"the loader stored {w['bytes']} bytes here ({w['stores']} stores, [0x{lo:x}..0x{hi:x}))"
        r["note"] = f"{r['note']}; {text}" if r["note"] else text


def boot_chain(findings, report, serial, nodes):
    """The chain with OpenSBI before the loader, RISC-V's link labels and,
    for an SMP kernel, one lane per hart (started with SBI HSM hart_start)."""
    chain = bootchain.build(findings, serial, None, firmware=(
        "OpenSBI (M-mode)", "pass" if OPENSBI.search(serial) else "not_reached"), labels=LINK_LABELS)
    chain["lanes"] = _lanes((report.get("observations") or {}).get("harts", []), nodes, findings)
    return chain


def _lanes(harts, nodes, findings):
    if nodes <= 1:
        return []
    verdict = next((f for f in findings if f.rule == "cores"), None)
    boot = bootchain.STATUS[verdict.status] if verdict else "not_reached"
    lanes = []
    for i in range(nodes):
        h = harts[i] if i < len(harts) else {"id": i, "state": "not in the DTB"}
        entered = h.get("state") == "entered the kernel"
        if i == 0:
            lanes.append({"core": 0, "stages": [["loader", "pass"], ["kernel_entry", boot]],
                          "note": f"hart {h.get('id', 0)}: {h.get('state')}"})
            continue
        started = h.get("state") not in ("never started", "not in the DTB")
        lanes.append({"core": i, "stages": [["hart_start", "pass" if started else "fail"],
                                            ["kernel_entry", "pass" if entered else
                                             "fail" if started else "not_reached"]],
                      "note": f"hart {h.get('id', i)}: {h.get('state')}"
                              + ("" if entered or not started else f" at PC 0x{_int(h.get('last_pc', 0)):x}")})
    return lanes


def pictures(image, inp, report, serial, findings, work, mem, cpus, build_dir):
    """(memory map, boot chain) for a RISC-V verdict. The machine's RAM and
    devices come from QEMU's DTB for it: the one emu-check models (dumped
    for this -smp into work, or the 1-hart one make builds beside emu-check)."""
    import os
    import subprocess
    from ..boot import qemu_machine
    from ..kernel import arch as arch_facts
    facts = arch_facts.facts("riscv64")
    blob = None
    candidates = [os.path.join(work, "qemu.dtb")]
    if cpus <= 1 and mem == facts.mem:
        candidates.append(os.path.join(build_dir, "harness", "riscv64", "qemu-virt.dtb"))
    for path in candidates:
        if os.path.exists(path):
            with open(path, "rb") as f:
                blob = f.read()
            break
    if blob is None:
        try:
            path = os.path.join(work, "qemu-map.dtb")
            qemu_machine.dump_dtb(path, facts.machine, facts.cpu, mem, cpus, arch="riscv64")
            with open(path, "rb") as f:
                blob = f.read()
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            blob = None
    mm = memory_map(inp, report, expect.elf_facts(image), blob, serial)
    return mm, boot_chain(findings, report, serial, inp.nodes)
