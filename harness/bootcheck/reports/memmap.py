"""The physical memory map of one `bootcheck check`, as data: the regions the
verdict's observations name (RAM and device windows from the DTB the machine
describes, the loader image with its stacks and translation tables, the
kernel image with seL4's `rootserver`, the DTB and the root task handed
over, the free regions seL4 turns into untypeds), the stores worth marking,
and every overlap between regions that must be disjoint.

Nothing here knows an architecture's addresses: every region comes from an
ELF, a DTB or a register the loader handed over. The only per-architecture
piece is which registers hold the translation-table roots (`TABLE_ROOTS`).

The SVG picture (report_memmap_svg) and the terminal map (text_map) both
draw from this dict; it travels in verdict.json as "memory_map"."""

from ..kernel import fdt

PAGE = 0x1000

# Columns of the picture, left to right. Regions in "handoff" must be
# disjoint (seL4 reserves them in order); the loader's own must not cross them.
COLUMNS = ("bus", "free", "loader", "handoff")
COLUMN_TITLES = {"bus": "machine (DTB)", "free": "free for seL4 (untypeds)", "loader": "loader",
                 "handoff": "handed over (x0..x5)"}
# Registers that hold a translation-table root, per architecture, as the
# emulator names them in its observations.
TABLE_ROOTS = {"aarch64": ("ttbr0", "ttbr1"), "riscv64": ("satp_root",)}
MAX_DEVICE_GROUPS = 24


def region(name, kind, column, start, end, note=""):
    return {"name": name, "kind": kind, "column": column, "start": start, "end": end, "note": note}


def size_text(n):
    """1 GiB, 96 KiB, 7502 B, 1023.9 MiB."""
    if n < 10 * 1024 and n % 1024:
        return f"{n} B"
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            v = n / (1 << shift)
            return f"{v:.0f} {unit}" if n % (1 << shift) == 0 else f"{v:.1f} {unit}"
    return f"{n} B"


# --- the machine: RAM and device windows from a DTB ---------------------------

def _reg_pairs(props, acells, scells):
    reg = props.get("reg", b"")
    step = 4 * (acells + scells)
    out = []
    for i in range(0, len(reg) - step + 1, step):
        base = fdt.cells(reg[i:i + 4 * acells])
        size = fdt.cells(reg[i + 4 * acells:i + step])
        if size:
            out.append((base, base + size))
    return out


def machine_regions(blob):
    """RAM (every /memory reg) and device windows (the reg of every node
    directly under / or a simple bus), neighbours of one kind grouped:
    32 virtio-mmio transports are one box."""
    tree = fdt.nodes(blob)
    root = tree.get("/", {})
    out = [region("RAM", "ram", "bus", a, b) for a, b in fdt.memory_ranges(tree)]
    devices = []
    for path, props in tree.items():
        parent = path.rsplit("/", 1)[0] or "/"
        if path == "/" or "reg" not in props or props.get("device_type") == b"memory\0":
            continue
        pprops = tree.get(parent, {})
        if parent != "/" and b"simple-bus" not in pprops.get("compatible", b""):
            continue
        acells = fdt.cells(pprops.get("#address-cells", root.get("#address-cells", b"\0\0\0\x02")))
        scells = fdt.cells(pprops.get("#size-cells", root.get("#size-cells", b"\0\0\0\x01")))
        kind = path.rsplit("/", 1)[1].split("@")[0]
        for a, b in _reg_pairs(props, acells, scells):
            devices.append((a, b, kind))
    devices.sort()
    groups = []
    for a, b, kind in devices:
        g = groups[-1] if groups else None
        if g and g["kind_name"] == kind and a <= g["end"] + PAGE * 16:
            g["end"], g["count"] = max(g["end"], b), g["count"] + 1
        else:
            groups.append({"kind_name": kind, "start": a, "end": b, "count": 1})
    for g in groups[:MAX_DEVICE_GROUPS]:
        name = g["kind_name"] + (f" x{g['count']}" if g["count"] > 1 else "")
        out.append(region(name, "device", "bus", g["start"], g["end"]))
    return out


# --- the loader ------------------------------------------------------------------

def _coalesce(pages):
    out = []
    for p in sorted(set(pages)):
        if out and out[-1][1] == p:
            out[-1][1] = p + PAGE
        else:
            out.append([p, p + PAGE])
    return out


def loader_regions(image_facts, obs, arch="aarch64"):
    """The loader image's loadable segments, its stacks (symbols named
    *stack* with a size), and the pages of the translation tables it
    entered the kernel with."""
    out = []
    for i, (vaddr, paddr, _off, filesz, memsz, flags) in enumerate(image_facts.segments):
        what = "code" if flags & 1 else "data"
        out.append(region(f"loader image ({what})", "loader", "loader", paddr, paddr + memsz,
                          f"segment {i}, vaddr 0x{vaddr:x}, {filesz:#x} bytes from the file"))
    def phys(value):
        seg = next((s for s in image_facts.segments if s[0] <= value <= s[0] + s[4]), None)
        return None if seg is None else value - seg[0] + seg[1]

    syms = image_facts.symbols
    for name, (value, size) in sorted(syms.items()):
        if "stack" not in name.lower():
            continue
        if size >= 256 and phys(value) is not None:          # a sized stack array
            out.append(region(f"stack {name}", "loader_stack", "loader", phys(value), phys(value) + size))
        else:           # a pair: NAME_start/NAME_end, or NAME/NAME_end
            stem = name[:-6] if name.endswith("_start") else name
            end = syms.get(stem + "_end", (None,))[0]
            if end is not None and phys(value) is not None and phys(end) is not None and end > value:
                out.append(region(f"stacks {stem.strip('_')}", "loader_stack", "loader", phys(value), phys(end)))
    pages = [p for p in obs.get("kernel_window", {}).get("table_pages", [])]
    for reg in TABLE_ROOTS.get(arch, ()):
        if obs.get(reg):
            pages.append(obs[reg] & 0x0000fffffffff000)
    for a, b in _coalesce(pages):
        out.append(region("translation tables", "loader_tables", "loader", a, b,
                          f"{(b - a) // PAGE} table page(s) the kernel was entered with"))
    return out


# --- what was handed over ------------------------------------------------------

def handoff_regions(inp, obs, reg="x"):
    """reg: the argument registers' letter in the names (x on AArch64, a on RISC-V)."""
    x = obs.get("x") or [0] * 6
    out = []
    kstart, kend = inp.kernel_phys
    rs = obs.get("rootserver") or {}
    note = f"rootserver at 0x{rs['paddr']:x} ({rs['size']} bytes)" if rs.get("paddr") else ""
    out.append(region("kernel image", "kernel", "handoff", kstart, kend, note))
    if rs.get("paddr"):
        out.append(region("rootserver", "rootserver", "handoff", rs["paddr"], rs["paddr"] + rs["size"],
                          "seL4 fills it in init_kernel; a loader must leave it zero"))
    x0, x1 = x[0], x[1]
    if x1 > x0:
        out.append(region(f"root task [{reg}0, {reg}1)", "user", "handoff", x0, x1,
                          f"{reg}0 = 0x{x0:x}, {reg}1 = 0x{x1:x}"))
        for s in obs.get("user_segments", []):
            if s["memsz"] > s["filesz"]:
                a = s["paddr"] + s["filesz"]
                out.append(region("root task .bss", "user_bss", "handoff", a, s["paddr"] + s["memsz"],
                                  f"segment {s['index']}: must be zero"))
    size = x[5] & 0xffffffff
    if x[4] and size:
        out.append(region("DTB", "dtb", "handoff", x[4], x[4] + size, f"{reg}4 = 0x{x[4]:x}, {reg}5 = {size}"))
    return out


def free_regions(ram, reserved):
    """RAM minus the reserved ranges: what seL4 makes untypeds of."""
    lo, hi = ram
    gaps, at = [], lo
    for start, end in sorted(r for r in reserved if r[0] < r[1]):
        if start > at:
            gaps.append((at, min(start, hi)))
        at = max(at, end)
    if at < hi:
        gaps.append((at, hi))
    return [g for g in gaps if g[0] < g[1]]


# --- stores and overlaps --------------------------------------------------------

def store_marks(obs):
    """Red: stores that left wrong bytes in the kernel or wrote seL4's
    rootserver. Amber: store ranges outside every image (scratch or stray)."""
    marks = []
    for s in obs.get("kernel_stores", []):
        marks.append({"kind": "stray", "start": s["paddr"], "end": s["paddr"] + s["size"],
                      "label": f"{s['size']}-byte store of 0x{s['value']:x} into {s.get('kernel_symbol', '?')} "
                               f"from PC 0x{s['pc']:x} ({s.get('pc_symbol', '?')})"})
    seen = {(m["start"], m["end"]) for m in marks}
    for s in (obs.get("rootserver") or {}).get("stores", []):
        start = s["paddr"] if "paddr" in s else obs["rootserver"]["paddr"] + s.get("offset", 0)
        if (start, start + s["size"]) in seen:
            continue            # already marked as a store that changed the kernel image
        marks.append({"kind": "stray", "start": s["paddr"] if "paddr" in s else
                      obs["rootserver"]["paddr"] + s.get("offset", 0),
                      "end": (s["paddr"] if "paddr" in s else obs["rootserver"]["paddr"] + s.get("offset", 0))
                      + s["size"],
                      "label": f"store into rootserver (+0x{s.get('offset', 0):x}) of 0x{s['value']:x} "
                               f"from PC 0x{s['pc']:x} ({s.get('pc_symbol', '?')})"})
    for r in obs.get("other_store_ranges", []):
        marks.append({"kind": "scratch", "start": r["start"], "end": r["end"],
                      "label": f"{r['count']} store(s) outside every image, first from PC 0x{r['pc']:x} "
                               f"({r.get('pc_symbol', '?')})"})
    return marks


def overlaps(regions):
    """Pairs of regions that must be disjoint but cross: the handed-over
    kernel, DTB and root task among themselves, and the loader's image
    against them (sub-regions such as rootserver or .bss excepted)."""
    handed = [r for r in regions if r["kind"] in ("kernel", "dtb", "user", "initrd")]
    loader = [r for r in regions if r["kind"] in ("loader", "firmware")]
    pairs = [(a, b) for i, a in enumerate(handed) for b in handed[i + 1:]]
    pairs += [(a, b) for a in loader for b in handed]
    out = []
    for a, b in pairs:
        lo, hi = max(a["start"], b["start"]), min(a["end"], b["end"])
        if lo < hi:
            out.append({"a": a["name"], "b": b["name"], "start": lo, "end": hi})
    return out


def build(inp, obs, image_facts, dtb_blob, arch="aarch64"):
    """The memory map dict, or None when the loader never reached the kernel
    (nothing was handed over to draw)."""
    if not obs.get("reached_kernel"):
        return None
    regions = []
    if dtb_blob:
        try:
            regions += machine_regions(dtb_blob)
        except (fdt.FdtError, ValueError, IndexError):
            pass
    handed = handoff_regions(inp, obs, "a" if arch == "riscv64" else "x")
    regions += loader_regions(image_facts, obs, arch) + handed
    rams = [(r["start"], r["end"]) for r in regions if r["kind"] == "ram"] or [inp.ram]
    reserved = [(r["start"], r["end"]) for r in handed if r["kind"] in ("kernel", "dtb", "user")]
    kstart = inp.kernel_phys[0]
    for lo, hi in rams:
        lo = max(lo, kstart) if lo <= kstart < hi else lo    # seL4 ignores RAM below its image
        for a, b in free_regions((lo, hi), reserved):
            regions.append(region("free", "free", "free", a, b, "seL4 makes untypeds of it"))
    return {"arch": arch, "regions": regions, "marks": store_marks(obs), "overlaps": overlaps(regions)}


def build_linux(image_facts, header, entry, dtb_blob):
    """The map of a Linux hand-off (arm64 booting.rst): the Image where the
    entry says (entry - text_offset, image_size long), the DTB at x0 and the
    initrd /chosen names. No free column: Linux owns all of RAM."""
    regions = []
    tree = {}
    if dtb_blob:
        try:
            regions += machine_regions(dtb_blob)
            tree = fdt.nodes(dtb_blob)
        except (fdt.FdtError, ValueError, IndexError):
            pass
    regions += loader_regions(image_facts, {})
    base = entry["pc"] - header.text_offset
    regions.append(region("Linux Image", "kernel", "handoff", base, base + header.image_size,
                          f"entry 0x{entry['pc']:x} = base + text_offset 0x{header.text_offset:x}"))
    x0 = entry["x"][0]
    if dtb_blob:
        regions.append(region("DTB", "dtb", "handoff", x0, x0 + int.from_bytes(dtb_blob[4:8], "big"),
                              f"x0 = 0x{x0:x}"))
    chosen = tree.get("/chosen", {})
    if "linux,initrd-start" in chosen and "linux,initrd-end" in chosen:
        a, b = fdt.cells(chosen["linux,initrd-start"]), fdt.cells(chosen["linux,initrd-end"])
        regions.append(region("initrd", "initrd", "handoff", a, b, "from /chosen"))
    return {"arch": "aarch64", "regions": regions, "marks": [], "overlaps": overlaps(regions),
            "titles": {"free": "", "handoff": "handed over (x0 = DTB)"}}


# --- the terminal map --------------------------------------------------------------

PLACEMENT_RULES = {"user_region", "dtb", "free_memory", "kernel_loaded", "rootserver", "user_loaded",
                   "image_placement", "initrd"}


def text_map(mm, failed_rules):
    """A compact map of the regions a failed placement, overlap or write rule
    involves, one line each, by address, for a CI log. [] when none failed."""
    if not mm or not PLACEMENT_RULES & set(failed_rules):
        return []
    kinds = set()
    if {"user_region", "dtb", "free_memory", "user_loaded", "image_placement", "initrd"} & set(failed_rules):
        kinds |= {"ram", "kernel", "dtb", "user", "user_bss", "free", "initrd"}
    if {"kernel_loaded", "rootserver"} & set(failed_rules):
        kinds |= {"kernel", "rootserver", "loader"}
    rows = [r for r in mm["regions"] if r["kind"] in kinds]
    crossing = {}
    for o in mm["overlaps"]:
        crossing.setdefault(o["a"], []).append((o["b"], o))
        crossing.setdefault(o["b"], []).append((o["a"], o))
    width = max(len(f"{r['end']:x}") for r in rows) if rows else 9
    lines = ["bootcheck: memory map of the regions involved (physical; ! = overlap, * = stray store):"]
    for r in sorted(rows, key=lambda r: (r["start"], -(r["end"] - r["start"]))):
        flag = "!" if r["name"] in crossing else " "
        text = (f"  {flag} [0x{r['start']:0{width}x}, 0x{r['end']:0{width}x}) {size_text(r['end'] - r['start']):>9}"
                f"  {r['name']}")
        for other, o in crossing.get(r["name"], []):
            text += f"  <- overlaps {other} on [0x{o['start']:x}, 0x{o['end']:x}) ({size_text(o['end'] - o['start'])})"
        lines.append(text)
    for m in mm["marks"]:
        if m["kind"] == "stray":
            lines.append(f"  * [0x{m['start']:0{width}x}, 0x{m['end']:0{width}x}) {size_text(m['end'] - m['start']):>9}"
                         f"  {m['label']}")
    return lines
