"""Writes the seed corpora of the fuzz targets from the built fixtures.

usage: make_seeds.py BUILD OUT   (OUT/<target>/<name> for elf, cpio, plan, dtb, override)

ELF seeds are the project's kernels and root task with their DWARF removed
(the symbol table stays, for elf_symbol_lookup); archives and plans carry
them with no symbols at all: small seeds mutate faster.
The plan seeds use the layout documented in fuzz_plan.c."""

import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

PLAN_MAX_RAM = 8
VIRT_RAM = (0x40000000, 0x80000000)          # -m 1024
LOADER = (0x48000000, 0x48100000)
QEMU_DTB_SIZE = 0x2000
MAX_SEED = 16384


def stripped(build, rel, objcopy, tmp, strip):
    path = os.path.join(build, rel)
    if not os.path.exists(path):
        return None
    out = os.path.join(tmp, os.path.basename(path))
    subprocess.run([objcopy, strip, path, out], check=True)
    with open(out, "rb") as f:
        return f.read()


def newc(members):
    """A CPIO newc archive, as `cpio -o -H newc` writes it."""
    out = bytearray()
    for ino, (name, data) in enumerate(members + [("TRAILER!!!", b"")], start=1):
        namez = name.encode() + b"\0"
        fields = [0 if name == "TRAILER!!!" else ino, 0o100644, 0, 0, 1, 0, len(data),
                  0, 0, 0, 0, len(namez), 0]
        out += b"070701" + b"".join(b"%08x" % f for f in fields) + namez
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def plan_input(kernel, roottask, dtb_size, ram, loader=LOADER):
    ranges = list(ram) + [(0, 0)] * (PLAN_MAX_RAM - len(ram))
    header = [len(kernel), dtb_size, len(ram), *loader] + [v for r in ranges for v in r]
    return struct.pack(f"<{len(header)}Q", *header) + kernel + roottask


def write(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main(build, out):
    objcopy = os.environ.get("OBJCOPY", "aarch64-linux-gnu-objcopy")
    shutil.rmtree(out, ignore_errors=True)
    sources = [("probe-el1", "fixtures/probe-el1.elf"), ("probe-hyp", "fixtures/probe-hyp.elf"),
               ("standin", "targets/standin/kernel.elf"), ("roottask", "roottask/roottask.elf")]
    with tempfile.TemporaryDirectory() as tmp:
        elves = {name: stripped(build, rel, objcopy, tmp, "--strip-debug") for name, rel in sources}
        bare = {name: stripped(build, rel, objcopy, tmp, "--strip-all") for name, rel in sources}
    elves = {k: v for k, v in elves.items() if v is not None}
    bare = {k: v for k, v in bare.items() if v is not None}
    dtb_path = os.path.join(build, "fixtures", "virt-1g.dtb")
    dtb = open(dtb_path, "rb").read() if os.path.exists(dtb_path) else None
    broken = sorted(glob.glob(os.path.join(build, "fixtures", "broken", "*")))

    for name, data in elves.items():
        small = data if len(data) <= MAX_SEED else bare[name]
        if len(small) <= MAX_SEED:
            write(out, "elf", name + ".elf", small)
    for path in broken:
        kind = {".elf": "elf", ".cpio": "cpio", ".dtb": "dtb"}.get(os.path.splitext(path)[1])
        # Large inputs slow every execution; the kernel cases cover the same headers.
        if kind and os.path.getsize(path) <= MAX_SEED:
            write(out, kind, "broken-" + os.path.basename(path), open(path, "rb").read())
    if dtb is not None:
        write(out, "dtb", "virt-1g.dtb", dtb)

    # Archives and plans hold two ELFs: without any symbols, to keep them small.
    roottask = bare.get("roottask")
    for kname in ("probe-el1", "probe-hyp"):
        if kname not in bare or roottask is None:
            continue
        members = [("kernel.elf", bare[kname]), ("roottask.elf", roottask)]
        write(out, "cpio", f"{kname}.cpio", newc(members))
        if dtb is not None:
            write(out, "cpio", f"{kname}-dtb.cpio", newc(members + [("kernel.dtb", dtb)]))
        write(out, "cpio", f"{kname}-override.cpio",
              newc(members + [("handoff.override", b"x4=0x40230000\n")]))
        write(out, "plan", f"{kname}-qemu-dtb", plan_input(bare[kname], roottask,
                                                           QEMU_DTB_SIZE, [VIRT_RAM]))
        write(out, "plan", f"{kname}-no-dtb", plan_input(bare[kname], roottask, 0, [VIRT_RAM]))
        write(out, "plan", f"{kname}-two-ranges",
              plan_input(bare[kname], roottask, len(dtb or b"") or 0x1d4e,
                         [(0x40000000, 0x60000000), (0x60000000, 0x80000000)]))
    # Hand-off override members: the forms the tests write, and near misses.
    for name, text in [("one", b"x4=0x40230000\n"), ("all", b"".join(
            b"x%d=0x%x\n" % (i, 0x40000000 + i) for i in range(6))), ("blank-lines", b"\n\nx5=0x0\n\n"),
            ("no-newline", b"x2=0xffffffffffffffff"), ("too-long", b"x1=0x" + b"f" * 17 + b"\n"),
            ("bad-reg", b"x6=0x1\n"), ("bad-digit", b"x3=0x12g4\n")]:
        write(out, "override", name, text)
    for target in ("elf", "cpio", "plan", "dtb", "override"):
        n = len(os.listdir(os.path.join(out, target))) if os.path.isdir(os.path.join(out, target)) else 0
        print(f"seeds: {target}: {n} inputs")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
