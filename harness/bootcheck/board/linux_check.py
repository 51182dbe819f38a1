"""`make check` / `bootcheck check` on an image of bootcheck's loader with a
Linux payload (make image KERNEL=Image ...): the Linux contract
(bootcheck.board.linux_contract) judges the hand-off from both sides, emu-check's
entry state and QEMU's under gdb, and the emulator's own checks (Image and
initrd byte-exact, the write map) are links of the verdict too. One line per
rule, a diagnosis naming the first broken one, verdict.json beside."""
import html
import json
import os
import shutil
import struct
import tempfile

from ..boot import progress as progress_mod
from ..boot import qemu_machine
from ..check import checkrun
from ..kernel import expect
from ..reports import bootchain, checkreport, memmap
from . import linux_contract, linux_loader

CPIO_MAGIC = b"070701"


def _payload_index(image):
    """{name: (file offset, size)} of the members of a pack-step payload (CPIO
    newc between the symbols _payload_start and _payload_end), or {} when
    the image has none. Reads the ELF's headers, its symbol table and the
    CPIO headers, not the members: every `bootcheck check` asks this first,
    and a Linux payload's Image is tens of MiB (pyelftools took ~0.2 CPU-s
    per image for the symbols alone). ValueError: not a little-endian ELF64
    file, or a broken header."""
    with open(image, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            raise ValueError("not a little-endian ELF64 file")
        phoff, shoff = struct.unpack_from("<QQ", head, 0x20)
        phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", head, 0x36)

        def table(offset, entsize, count, fmt):
            f.seek(offset)
            raw = f.read(entsize * count)
            if len(raw) < entsize * count or entsize < struct.calcsize(fmt):
                raise ValueError("truncated ELF header table")
            return [struct.unpack_from(fmt, raw, i * entsize) for i in range(count)]

        # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
        sections = table(shoff, shentsize, shnum, "<IIQQQQIIQQ") if shnum else []
        symtab = next((s for s in sections if s[1] == 2), None)          # SHT_SYMTAB
        if symtab is None or symtab[6] >= len(sections):
            return {}
        strtab = sections[symtab[6]]
        f.seek(strtab[4])
        names = f.read(strtab[5])
        f.seek(symtab[4])
        raw = f.read(symtab[5] - symtab[5] % 24)
        syms = {}
        for name, _, _, _, value, _ in struct.iter_unpack("<IBBHQQ", raw):
            n = names[name:names.find(b"\0", name)]
            if n in (b"_payload_start", b"_payload_end"):
                syms[n] = value
        if b"_payload_start" not in syms:
            return {}
        start, end = syms[b"_payload_start"], syms[b"_payload_end"]
        for p_type, _, offset, vaddr, _, filesz, _, _ in table(phoff, phentsize, phnum, "<IIQQQQQQ"):
            if p_type == 1 and vaddr <= start < vaddr + filesz:     # PT_LOAD
                break
        else:
            return {}
        pos, limit = offset + start - vaddr, offset + min(end, vaddr + filesz) - vaddr
        members = {}
        while pos + 110 <= limit:
            f.seek(pos)
            header = f.read(110)
            if header[:6] != CPIO_MAGIC:
                break
            size, namesize = (int(header[6 + 8 * i:14 + 8 * i], 16) for i in (6, 11))
            name = f.read(max(0, min(namesize - 1, limit - pos - 110))).decode()
            body = (pos + 110 + namesize + 3) & ~3
            if name == "TRAILER!!!":
                break
            members[name] = (body, max(0, min(size, limit - body)))
            pos = (body + size + 3) & ~3
    return members


def _member_bytes(image, where):
    offset, size = where
    with open(image, "rb") as f:
        f.seek(offset)
        return f.read(size)


def payload_members(image):
    """{name: bytes} of a pack-step payload (CPIO newc between _payload_start
    and _payload_end), or {} when the image has none."""
    return {name: _member_bytes(image, where) for name, where in _payload_index(image).items()}


def is_linux_image(image):
    try:
        return "linux.Image" in _payload_index(image)
    except (OSError, ValueError, struct.error):   # not ours to judge: checkrun says why
        return False


def check(image, machine=None, mem=1024, seconds=30.0, out_dir=None, progress=None):
    """Returns (exit status, lines). Exit 0: every rule holds on both sides.
    progress: a bootcheck.boot.progress.Progress of 3 stages (payload, emulation,
    QEMU + GDB boot), or None (silent)."""
    progress = progress or progress_mod.silent()
    with progress.stage("payload finder") as st:
        members = _payload_index(image)
        work = tempfile.mkdtemp(prefix="bclc")
        kernel = os.path.join(work, "Image")
        with open(kernel, "wb") as f:
            f.write(_member_bytes(image, members["linux.Image"]))
        initrd = None
        if "linux.initrd" in members:
            initrd = os.path.join(work, "initrd")
            with open(initrd, "wb") as f:
                f.write(_member_bytes(image, members["linux.initrd"]))
        st.set_result("linux payload")
    machine = machine or qemu_machine.VIRT_EL2
    el = qemu_machine.starts_at_el(machine)
    lines = [f"bootcheck: {image}: payload linux (Image {members['linux.Image'][1]} bytes"
             f"{', initrd' if initrd else ''}), machine {machine}"]

    with progress.stage("emulation (Unicorn)") as st:
        emu_report = checkrun.run_emu(image, el, mem, None, None, None, work, 200_000_000)
        st.set_result(str(emu_report.get("outcome", "no outcome")).replace("_", " "))
    rows = []       # (rule, status, sentence, source)
    for c in emu_report.get("checks", []):
        rows.append((c["name"], c["status"], c["message"].strip().split("\n")[0], "emulation"))
    try:
        emu_side = linux_loader.emu_findings(emu_report, kernel, initrd or os.devnull)
    except AssertionError as e:
        emu_side = {"entered": linux_contract.Finding("entered", "fail", str(e))}
    with progress.stage(f"QEMU + GDB boot ({machine})"):
        run = linux_loader.boot(image, machine, timeout=seconds, until_entry=True)
    try:
        qemu_side = linux_loader.judge(run, kernel, initrd or os.devnull)
    except AssertionError as e:
        qemu_side = {"entered": linux_contract.Finding("entered", "fail", str(e).split("\n")[0])}
    for rule in dict.fromkeys([*emu_side, *qemu_side]):
        sides = [(s, f[rule]) for s, f in (("emulation", emu_side), ("QEMU + gdb", qemu_side)) if rule in f]
        worst = next((f for _, f in sides if f.status == "fail"), None) or \
            next((f for _, f in sides if f.status == "warn"), sides[0][1])
        rows.append((rule, worst.status, worst.sentence, ", ".join(s for s, _ in sides)))
    if initrd is None:
        rows = [r for r in rows if r[0] != "initrd"]

    for rule, status, sentence, source in rows:
        lines.append(f"{status.upper():7} {rule:16} {sentence}  [{source}]")
    broken = next((r for r in rows if r[1] == "fail"), None)
    lines.append("bootcheck: PASS: every rule of the Linux boot contract holds" if broken is None else
                 f"bootcheck: FAIL ({broken[0]}): {broken[2]}")
    mm = _memory_map(image, kernel, emu_report)
    if broken is not None:
        lines[-1:-1] = memmap.text_map(mm, [r[0] for r in rows if r[1] == "fail"])
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        chain = bootchain.from_rows([
            ("loader", "loader", [(r[0], r[1], r[2]) for r in rows if r[0] != "entered"]),
            ("kernel_entry", "Linux entry", [(r[0], r[1], r[2]) for r in rows if r[0] == "entered"],
             "pass" if emu_report.get("outcome") == "reached_kernel" and broken is None else
             "not_reached" if broken is not None else "fail")])
        _html(image, lines[-1], mm, chain, rows, run.serial, os.path.join(out_dir, "report.html"))
        with open(os.path.join(out_dir, "verdict.json"), "w") as f:
            json.dump({"image": image, "protocol": "linux", "machine": machine,
                       "rules": [dict(zip(("rule", "status", "sentence", "source"), r)) for r in rows],
                       "ok": broken is None, "memory_map": mm, "boot_chain": chain}, f, indent=1)
        with open(os.path.join(out_dir, "serial.log"), "w") as f:
            f.write(run.serial)
    shutil.rmtree(work, ignore_errors=True)
    return (0 if broken is None else 1), lines


def _memory_map(image, kernel, emu_report):
    e = emu_report.get("entry_state")
    if emu_report.get("outcome") != "reached_kernel" or e is None:
        return None
    dtb = bytes.fromhex(emu_report["dtb_hex"]) if emu_report.get("dtb_hex") else None
    return memmap.build_linux(expect.elf_facts(image), linux_contract.read_image_header(kernel), e, dtb)


def _html(image, verdict_line, mm, chain, rows, serial, path):
    findings = [{"rule": r[0], "status": r[1], "sentence": r[2], "link": i + 1} for i, r in enumerate(rows)]
    table = "".join(f"<tr><td id='rule-{html.escape(r[0])}'>{i + 1}</td><td>{html.escape(r[0])}</td>"
                    f"<td style='color:{checkreport.COLOR.get(r[1], '#57606a')};font-weight:bold'>{r[1]}</td>"
                    f"<td>{html.escape(r[2])}</td><td>{html.escape(r[3])}</td></tr>" for i, r in enumerate(rows))
    name = html.escape(os.path.basename(image))
    with open(path, "w") as f:
        f.write(f"""<!doctype html><html><head><meta charset="utf-8"><title>bootcheck check {name}</title>
<style>{checkreport.CSS}</style></head><body><h1>bootcheck check: {name} (Linux payload)</h1>
<p class="diagnosis" style="font-size:1.2em"><b>{html.escape(verdict_line)}</b></p>
{checkreport.pictures_html(mm, chain, findings)}
<h2>Rules</h2><table><tr><th>#</th><th>rule</th><th>status</th><th>finding</th><th>seen by</th></tr>{table}</table>
<details><summary>serial log</summary>{checkreport.serial_html(serial)}</details></body></html>
""")
