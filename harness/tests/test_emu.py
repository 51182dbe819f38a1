"""The Unicorn suite (harness/emu): the loader image QEMU boots is run on a
model of QEMU virt until it enters the kernel, and each hand-off check is its
own test. Every check is shown failing on a mutant loader
(loader/arch/aarch64/mutations.h), broken payloads must stop the loader inside
Unicorn with its exact error, and the UART transcript must equal QEMU's."""

import os
import pathlib
import subprocess

import pytest

from bootcheck.boot import qemu, qemu_machine
from bootcheck.check import emu
from bootcheck.kernel import expect
from bootcheck.pack import images, runcache, tinyelf
from conftest import BUILD, SEL4_PARAMS, Artifacts, qemu_dtb_for, sel4_kernel_path, virt_dtb_for

pytestmark = pytest.mark.emu


# id: (kernel attribute or SEL4_PARAMS id, payload DTB?, starting EL (None: the kernel's), RAM MiB)
CONFIGS = {
    "probe-el1-payload-dtb-el1": ("probe_el1", True, 1, 1024),
    "probe-el1-qemu-dtb-el1": ("probe_el1", False, 1, 1024),
    "probe-el1-qemu-dtb-el1-512m": ("probe_el1", False, 1, 512),
    "probe-el1-qemu-dtb-el2": ("probe_el1", False, 2, 1024),
    "probe-hyp-qemu-dtb-el2": ("probe_hyp", False, 2, 1024),
    "standin-payload-dtb-el1": ("standin_kernel", True, 1, 1024),
    # packed with the opt-in hand-off record protocol (HANDOFF_RECORD=probe_handoff_record)
    "probe-record-el1-payload-dtb-el1": ("probe_record_el1", True, 1, 1024),
    "probe-record-el1-qemu-dtb-el2": ("probe_record_el1", False, 2, 1024),
}
# One configuration per real seL4 kernel given (SEL4_KERNEL="..."), named by
# its flavour; the EL follows the kernel (a hyp build starts at EL2).
CONFIGS.update({f"{fid}-payload-dtb": (fid, True, None, 1024) for fid in SEL4_PARAMS})

# mutant: (checks that must fail, text the first of them must print)
MUTANTS = {
    "skip_bss_zero": ({"elf_loading"}, "must be zero (.bss)"),
    "kernel_device": ({"page_tables"}, "Device-nGnRnE"),
    # handoff_record too: without the protocol, no boot record may be written
    "write_rootserver": ({"rootserver", "elf_loading", "handoff_record"},
                         "the loader wrote seL4's rootserver structure, which the kernel fills "
                         "itself in init_kernel"),
    "wrong_x1": ({"handoff_registers"}, "x1 (root task phys end (exclusive)) = "),
    "stray_write": ({"writes"}, "is outside the allowed-write map"),
    "caches_off": ({"cpu_state"}, "C and I must be set"),
    "wrong_record": ({"handoff_record"}, "hand-off record field pv_offset at paddr 0x"),
}

# Mutants whose bug is in the opt-in hand-off record: packed with a kernel
# that declares one (the others use the stand-in kernel, protocol off).
RECORD_MUTANTS = {"wrong_record"}


def _record_symbol(attr):
    return Artifacts.probe_record_symbol if attr == "probe_record_el1" else None


def once_per_run(kind, params, inputs, fallback_dir, make):
    """make(folder)'s value, made once per test run by the first worker that
    asks (bootcheck.pack.runcache), not once per worker: a pack and an emu-check
    run. The files go to a folder of the run's cache that every worker reads,
    so the image path the report and output name is the same for all. The key
    holds the parameters and the contents of every input file (None: none).
    Without a run cache (a plain pytest), made per session in fallback_dir."""
    base = runcache.run_dir()
    if base is None:
        return make(fallback_dir)
    key = runcache.key_of(kind, params, tuple((p, p and runcache.file_digest(p)) for p in inputs))
    folder = pathlib.Path(base, f"{kind}-files", key)

    def made():
        folder.mkdir(parents=True, exist_ok=True)
        return make(folder)
    return runcache.shared(kind, key, made)


# What every pack and emu-check run reads besides its own inputs.
PACK_TOOLS = (os.path.join(BUILD, "loader", "loader.a"), os.path.join(BUILD, "loader", "pack-check"),
              emu.emu_check_path(BUILD))


class EmuRuns:
    """Packs and runs each configuration once per test run (once_per_run)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.cache = {}

    def kernel(self, attr):
        if attr.startswith("sel4"):
            return sel4_kernel_path(attr)
        path = getattr(Artifacts, attr)
        if not os.path.exists(path):
            pytest.fail(f"{path} is missing: run `make all` first")
        return path

    def get(self, cid):
        if cid not in self.cache:
            attr, payload_dtb, el, mem = CONFIGS[cid]
            kernel = self.kernel(attr)
            if el is None:
                el = 2 if qemu_machine.kernel_is_hyp(kernel) else 1
            # An SMP kernel: the DTBs (payload and QEMU's) list its cores.
            dtb = virt_dtb_for(kernel) if payload_dtb else None
            qemu_dtb = qemu_dtb_for(kernel, el)

            def make(folder):
                image = folder / f"{cid}.elf"
                images.pack_ok(kernel, Artifacts.roottask, image, dtb=dtb, mem=mem,
                               handoff_record=_record_symbol(attr))
                return image, emu.run(BUILD, image, folder / f"{cid}.json", el=el, ram_mib=mem,
                                      qemu_dtb=qemu_dtb)
            image, result = once_per_run(
                "emu-config", (cid, kernel, el, mem, _record_symbol(attr), qemu_dtb),
                (kernel, Artifacts.roottask, dtb, qemu_dtb, *PACK_TOOLS), self.tmp, make)
            self.cache[cid] = (image, kernel, dtb, el, mem, result)
        return self.cache[cid]


@pytest.fixture(scope="session")
def emu_runs(tmp_path_factory, request):
    if not os.path.exists(emu.emu_check_path(BUILD)):
        pytest.fail("build/harness/emu-check is missing: run `make all` first")
    return EmuRuns(tmp_path_factory.mktemp("emu"))


@pytest.mark.parametrize("cid", CONFIGS)
def test_reaches_kernel_entry(cid, emu_runs):
    _, kernel, _, _, _, r = emu_runs.get(cid)
    assert r.report["outcome"] == "reached_kernel", r.describe()
    assert r.report["instructions"] > 0
    # Every other core of an SMP kernel was started and entered it too
    # (PSCI CPU_ON targets 1..N-1 in the DTB's order); a one-core kernel
    # got none.
    cores = r.report["observations"]["cores"]
    nodes = qemu_machine.kernel_nodes(kernel)
    assert [(c["target"], c["state"]) for c in cores] == \
        [(i, "entered") for i in range(1, nodes)], r.describe()
    assert r.report["observations"]["boot_tpidr_el1"] == 0, r.describe()
    print(f"{cid}: {r.report['instructions']} instructions from reset to kernel entry")


@pytest.mark.parametrize("check", emu.CHECKS)
@pytest.mark.parametrize("cid", CONFIGS)
def test_handoff_check(cid, check, emu_runs):
    _, _, _, _, _, r = emu_runs.get(cid)
    c = r.check(check)
    assert c["status"] == "pass", f"{check}: {c['message']}\n{r.describe()}"


@pytest.mark.parametrize("cid", CONFIGS)
def test_expected_handoff_agrees_with_python_oracle(cid, emu_runs):
    """emu-check plans with the loader's own C code; bootcheck.kernel.expect is an
    independent Python reading of seL4's rules. They must agree."""
    _, kernel, dtb, _, _, r = emu_runs.get(cid)
    if dtb:
        dtb_size = expect.dtb_handover_size(dtb)
    else:
        dtb_size = int(r.report["expected"]["handoff"][5], 16)
        assert f"DTB from QEMU at 0x40000000, {dtb_size} bytes" in r.uart, r.describe()
    want = expect.expected_handoff(kernel, Artifacts.roottask, dtb_size)
    got = [int(v, 16) for v in r.report["expected"]["handoff"]]
    assert got == want.x, f"emu-check expects {[hex(v) for v in got]}, oracle {[hex(v) for v in want.x]}"


@pytest.mark.qemu
@pytest.mark.parametrize("cid", CONFIGS)
def test_uart_transcript_equals_qemu(cid, emu_runs, booter):
    image, kernel, _, el, mem, r = emu_runs.get(cid)
    q = booter.boot(image, kernel=kernel, from_el2=el == 2, mem=mem, timeout=20,
                    stop_patterns=("loader: jumping to kernel",))
    want = emu.loader_transcript(q.serial)
    assert want.endswith("\n"), q.describe()
    assert emu.loader_transcript(r.uart) == want, (
        f"Unicorn transcript differs from QEMU's\n--- Unicorn ---\n{r.uart}\n--- QEMU ---\n{want}")


# --- mutant loaders: every check fails on the bug it exists for ---------------

@pytest.fixture(scope="session")
def mutant_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("emu-mutants")
    cache = {}

    def get(mutant):
        if mutant not in cache:
            record = mutant in RECORD_MUTANTS
            kernel = Artifacts.probe_record_el1 if record else Artifacts.standin_kernel
            symbol = Artifacts.probe_record_symbol if record else None

            def make(folder):
                image = emu.pack_mutant(mutant, kernel, Artifacts.roottask, folder / f"{mutant}.elf",
                                        dtb=Artifacts.virt_dtb, handoff_record=symbol)
                return image, emu.run(BUILD, image, folder / f"{mutant}.json", el=1)
            mutant_lib = os.path.join(BUILD, "emu", "mutants", mutant, "loader.a")
            cache[mutant] = once_per_run(
                "emu-mutant", (mutant, kernel, symbol),
                (kernel, Artifacts.roottask, Artifacts.virt_dtb, mutant_lib, *PACK_TOOLS), tmp, make)
        return cache[mutant]
    return get


@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_caught_by_its_check(mutant, mutant_runs):
    failing, text = MUTANTS[mutant]
    _, r = mutant_runs(mutant)
    assert r.report["outcome"] == "reached_kernel", r.describe()
    statuses = {c["name"]: c["status"] for c in r.report["checks"]}
    assert {n for n, s in statuses.items() if s == "fail"} == failing, r.describe()
    assert r.returncode == 1
    messages = "\n".join(r.check(n)["message"] for n in failing)
    assert text in messages, r.describe()


def test_mutant_wrong_x1_names_both_values(mutant_runs, artifacts):
    _, r = mutant_runs("wrong_x1")
    want = expect.expected_handoff(artifacts.standin_kernel, artifacts.roottask,
                                   expect.dtb_handover_size(artifacts.virt_dtb)).x[1]
    assert (f"x1 (root task phys end (exclusive)) = 0x{want + 0x1000:x} at kernel entry "
            f"0xffffff8040000000, expected 0x{want:x}") in r.check("handoff_registers")["message"]


def test_mutant_wrong_record_names_field_address_and_values(mutant_runs, artifacts):
    _, r = mutant_runs("wrong_record")
    want = expect.expected_handoff(artifacts.probe_record_el1, artifacts.roottask,
                                   expect.dtb_handover_size(artifacts.virt_dtb))
    record_pa = expect.record_paddr(artifacts.probe_record_el1, artifacts.probe_record_symbol)
    field_pa = record_pa + 8 * expect.RECORD_FIELDS.index("pv_offset")
    msg = r.check("handoff_record")["message"]
    assert msg == (f"hand-off record field pv_offset at paddr 0x{field_pa:x} = "
                   f"0x{want.x[2] + 0x1000:x}, expected 0x{want.x[2]:x}\n"), msg


@pytest.mark.parametrize("cid", [c for c in CONFIGS if CONFIGS[c][0] == "probe_record_el1"])
def test_expected_record_agrees_with_python_oracle(cid, emu_runs):
    """Every field emu-check expects in the record, from the independent
    Python model of the plan and the kernel's symbol table."""
    _, kernel, dtb, _, _, r = emu_runs.get(cid)
    dtb_size = expect.dtb_handover_size(dtb) if dtb else int(r.report["expected"]["handoff"][5], 16)
    want = expect.expected_record(kernel, Artifacts.roottask, dtb_size)
    want["paddr"] = expect.record_paddr(kernel, Artifacts.probe_record_symbol)
    got = {k: int(v, 16) for k, v in r.report["expected"]["handoff_record"].items()}
    assert got == want
    assert f"loader: hand-off record written at 0x{want['paddr']:x} (80 bytes)\n" in r.uart


def test_stand_in_has_no_record_expected(emu_runs):
    _, _, _, _, _, r = emu_runs.get("standin-payload-dtb-el1")
    assert r.report["expected"]["handoff_record"] is None
    assert "hand-off record" not in r.uart


def test_mutant_stray_write_names_loader_symbol(mutant_runs):
    _, r = mutant_runs("stray_write")
    msg = r.check("writes")["message"]
    assert "(loader_main+0x" in msg and "allowed-write map:" in msg, msg


@pytest.mark.qemu
def test_uart_transcript_comparison_catches_a_different_machine(emu_runs, booter, tmp_path):
    """The transcript check can fail: the same image on a 512 MiB Unicorn
    machine prints a different RAM line than QEMU with 1024 MiB."""
    image, kernel = emu_runs.get("probe-el1-qemu-dtb-el1")[:2]
    r = emu.run(BUILD, image, tmp_path / "r.json", ram_mib=512)
    q = booter.boot(image, kernel=kernel, mem=1024, timeout=20,
                    stop_patterns=("loader: jumping to kernel",))
    assert emu.loader_transcript(r.uart) != emu.loader_transcript(q.serial)
    assert "loader: RAM [0x40000000..0x60000000)" in r.uart
    assert "loader: RAM [0x40000000..0x80000000)" in q.serial


# --- the loader's own error stop, and runs that never reach a kernel ----------

def _corrupt(src, dst, offset, data):
    with open(src, "rb") as f:
        blob = bytearray(f.read())
    blob[offset:offset + len(data)] = data
    with open(dst, "wb") as f:
        f.write(blob)
    return str(dst)


BROKEN = {
    # id: (which input is broken and how, the loader's exact error line, starting EL)
    "kernel-bad-magic": ("kernel", 0, b"\0\0\0\0",
                         "loader: error: kernel.elf: bad ELF magic 00 00 00 00 (want 7f 45 4c 46)", 1),
    "roottask-32-bit": ("roottask", 4, b"\x01",
                        "loader: error: roottask.elf: ELF class 1 is not ELFCLASS64 (2): "
                        "this is a 32-bit ELF", 1),
    "hyp-kernel-at-el1": ("none", 0, b"",
                          "loader: error: kernel is a hyp (EL2) kernel (entry 0x8060000000) but the "
                          "CPU started at EL1; run it with -machine virt,virtualization=on", 1),
}


@pytest.mark.qemu
@pytest.mark.parametrize("bid", BROKEN)
def test_broken_payload_stops_loader_with_its_error(bid, tmp_path, artifacts, booter):
    what, offset, data, line, el = BROKEN[bid]
    kernel = artifacts.probe_hyp if bid.startswith("hyp") else artifacts.probe_el1
    roottask = artifacts.roottask
    if what == "kernel":
        kernel = _corrupt(kernel, tmp_path / "kernel.elf", offset, data)
    elif what == "roottask":
        roottask = _corrupt(roottask, tmp_path / "roottask.elf", offset, data)
    r = images.pack(kernel, roottask, tmp_path / "image.elf", unchecked=True)
    assert r.returncode == 0, r.output
    res = emu.run(BUILD, tmp_path / "image.elf", tmp_path / "r.json", el=el)
    assert res.report["outcome"] == "stopped_machine", res.describe()
    assert res.report["message"].startswith("loader stopped the machine"), res.describe()
    assert line + "\n" in res.uart, res.describe()
    assert all(c["status"] == "not_run" for c in res.report["checks"])
    # The inputs are broken on purpose (a kernel may not even parse): the
    # machine is the one the case names, not one derived from the kernel.
    q = booter.boot(tmp_path / "image.elf", machine=qemu_machine.machine_at_el(el), timeout=10,
                    deliberate=f"broken input, started at EL{el} as the case says")
    assert q.exit_code == 0, q.describe()
    assert q.serial.replace("\r\n", "\n") == res.uart, "QEMU and Unicorn transcripts differ"


def test_budget_exhausted_is_reported(emu_runs, tmp_path):
    run = emu_runs.get("probe-el1-payload-dtb-el1")
    image, full = run[0], run[-1]
    # Half of what the loader needs, so the budget runs out mid-load
    # whatever the loader's current cost.
    budget = full.report["instructions"] // 2
    r = emu.run(BUILD, image, tmp_path / "r.json", budget=budget)
    assert r.report["outcome"] == "budget_exhausted", r.describe()
    assert r.report["message"].startswith(
        f"did not reach kernel entry within {budget} instructions; last PC 0x"), r.report["message"]
    # Half way the loader may be in the middle of a line: the report quotes
    # whatever the last line holds so far.
    assert "bootcheck loader: started" in r.uart, r.uart
    last_line = r.uart.rstrip("\n").split("\n")[-1]
    assert last_line and f"last UART line '{last_line}'" in r.report["message"]
    assert r.returncode == 1


def test_unmodelled_device_is_reported(tmp_path):
    # movz x1, #0x0800, lsl #16 ; ldr w0, [x1] ; b .   (reads the GIC distributor)
    code_at = tinyelf.write(tmp_path / "gic.elf", [0xd2a10001, 0xb9400020, 0x14000000],
                            vaddr=0x48000000)
    r = emu.run(BUILD, tmp_path / "gic.elf", tmp_path / "r.json")
    assert r.report["outcome"] == "unmodelled_access", r.describe()
    assert r.report["message"].startswith(
        f"loader touched unmodelled device at 0x8000000 from PC 0x{code_at + 4:x}"), r.report["message"]


@pytest.mark.emu
def test_an_empty_qemu_dtb_is_not_a_valid_dtb(tmp_path):
    """An empty --qemu-dtb file is refused by name (its header is not read
    past the file's end)."""
    image = images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "image.elf")
    dtb = tmp_path / "empty.dtb"
    dtb.write_bytes(b"")
    proc = subprocess.run([emu.emu_check_path(BUILD), image, "--qemu-dtb", str(dtb)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[-1] == f"emu-check: machine: '{dtb}' is not a valid DTB", proc.stderr
