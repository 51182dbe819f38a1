"""`make check` / `bootcheck check` on an image of bootcheck's loader with a
Linux payload (make image KERNEL=Image ...): the Linux contract
(bootcheck.linux_contract) judges the hand-off from both sides, emu-check's
entry state and QEMU's under gdb, and the emulator's own checks (Image and
initrd byte-exact, the write map) are links of the verdict too. One line per
rule, a diagnosis naming the first broken one, verdict.json beside."""
import json
import os
import shutil
import tempfile

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from . import checkrun, linux_contract, linux_loader, qemu_machine
from . import progress as progress_mod

CPIO_MAGIC = b"070701"


def payload_members(image):
    """{name: bytes} of a pack.sh payload (CPIO newc between _payload_start
    and _payload_end), or {} when the image has none."""
    with open(image, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            return {}
        syms = {s.name: s["st_value"] for s in symtab.iter_symbols()}
        if "_payload_start" not in syms:
            return {}
        start, end = syms["_payload_start"], syms["_payload_end"]
        data = b""
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= start < seg["p_vaddr"] + seg["p_filesz"]:
                data = seg.data()[start - seg["p_vaddr"]:end - seg["p_vaddr"]]
    members, pos = {}, 0
    while data[pos:pos + 6] == CPIO_MAGIC:
        field = lambda i: int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16)  # noqa: E731
        size, namesize = field(6), field(11)
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        body = (pos + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            break
        members[name] = data[body:body + size]
        pos = (body + size + 3) & ~3
    return members


def is_linux_image(image):
    try:
        return "linux.Image" in payload_members(image)
    except (OSError, ValueError, KeyError, ELFError):   # not ours to judge: checkrun says why
        return False


def check(image, machine=None, mem=1024, seconds=30.0, out_dir=None, progress=None):
    """Returns (exit status, lines). Exit 0: every rule holds on both sides.
    progress: a bootcheck.progress.Progress of 3 stages (payload, emulation,
    QEMU + GDB boot), or None (silent)."""
    progress = progress or progress_mod.silent()
    with progress.stage("payload finder") as st:
        members = payload_members(image)
        work = tempfile.mkdtemp(prefix="bclc")
        kernel = os.path.join(work, "Image")
        with open(kernel, "wb") as f:
            f.write(members["linux.Image"])
        initrd = None
        if "linux.initrd" in members:
            initrd = os.path.join(work, "initrd")
            with open(initrd, "wb") as f:
                f.write(members["linux.initrd"])
        st.set_result("linux payload")
    machine = machine or qemu_machine.VIRT_EL2
    el = qemu_machine.starts_at_el(machine)
    lines = [f"bootcheck: {image}: payload linux (Image {len(members['linux.Image'])} bytes"
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
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "verdict.json"), "w") as f:
            json.dump({"image": image, "protocol": "linux", "machine": machine,
                       "rules": [dict(zip(("rule", "status", "sentence", "source"), r)) for r in rows],
                       "ok": broken is None}, f, indent=1)
        with open(os.path.join(out_dir, "serial.log"), "w") as f:
            f.write(run.serial)
    shutil.rmtree(work, ignore_errors=True)
    return (0 if broken is None else 1), lines
