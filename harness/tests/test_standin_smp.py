"""The SMP stand-in kernel (build/targets/standin/kernel-smp4.elf, built with
MAX_NUM_NODES 4) against seL4 13.0.0's SMP hand-off, and the SMP invocation
numbering (targets/include/sel4_abi.h) that it decodes and the root task uses.

* The node count a loader reads is kernel_stack_alloc's size: one 4 KiB stack
  per core, in both stand-in builds and in real seL4.
* The label table: SEL4_INVOCATION_LABEL for 1 and 4 nodes against the table
  measured from seL4's generated invocation enums, and against those enums
  themselves when a seL4 build tree is at hand.
* Boots through the project's loader under -smp 4: with every core started,
  the root task reports numNodes = 4 and spawns its components with the SMP
  labels; with fewer cores started, the stand-in prints its one refusal line
  after its bounded wait and powers off. The loader starts as many cores as
  kernel_stack_alloc's size says, so the "fewer" cases pack a copy of the
  kernel whose symbol claims fewer stacks: the loaded bytes are the same,
  and the kernel still waits for four cores.
* Under gdb, one core's entry state is changed at the kernel entry: other
  x0..x5 than the boot core's, a logical id taken twice, an id out of range,
  no core with id 0. Each gives its own line.

Real seL4 (optional, skipped visibly when not given): every SMP kernel in
SEL4_KERNEL (or SEL4_SMP_KERNEL, its alias) is booted with the root task and
errprobe, on as many CPUs as it has cores, and compared with the stand-in
build of its release and configuration; SEL4_BUILD / SEL4_SMP_BUILD are seL4
build trees (single-core and SMP) whose kernel/gen_headers give the label
numbers."""

import os
import re
import shlex
import shutil
import signal
import struct
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from bootcheck.boot.qemu_machine import VIRT, machine_argv
from bootcheck.kernel import expect, target
from bootcheck.pack import images
from conftest import SEL4_SMP_PARAMS, sel4_smp_kernel_path
from spawn_support import facts
from standin_support import paired_build, require_build

NODES = 4
STACK = 0x1000
ROOT = images.ROOT
HOSTCC = os.environ.get("HOSTCC", "gcc")
GDB = os.environ.get("GDB", "gdb-multiarch")

SEL4_BUILD = os.environ.get("SEL4_BUILD", "")
SEL4_SMP_BUILD = os.environ.get("SEL4_SMP_BUILD", "")

# sel4_abi.h name -> seL4's enum name, single-core number, SMP number (seL4
# 13.0.0's generated invocation enums, MaxNumNodes 1 and 4, EL1 build).
LABELS = {
    "SEL4_LABEL_UNTYPED_RETYPE": ("UntypedRetype", 1, 1),
    "SEL4_LABEL_TCB_WRITE_REGISTERS": ("TCBWriteRegisters", 3, 3),
    "SEL4_LABEL_TCB_CONFIGURE": ("TCBConfigure", 5, 5),
    "SEL4_LABEL_TCB_SET_PRIORITY": ("TCBSetPriority", 6, 6),
    "SEL4_LABEL_TCB_RESUME": ("TCBResume", 12, 12),
    "SEL4_LABEL_TCB_UNBIND_NOTIFICATION": ("TCBUnbindNotification", 14, 14),
    "SEL4_LABEL_CNODE_COPY": ("CNodeCopy", 19, 20),
    "SEL4_LABEL_CNODE_MINT": ("CNodeMint", 20, 21),
    "SEL4_LABEL_ARM_PAGE_TABLE_MAP": ("ARMPageTableMap", 35, 36),
    "SEL4_LABEL_ARM_PAGE_MAP": ("ARMPageMap", 37, 38),
    "SEL4_LABEL_ARM_ASID_POOL_ASSIGN": ("ARMASIDPoolAssign", 45, 46),
}

MISSING_LINE = ("stand-in: only {arrived} of 4 cores arrived at the kernel entry (missing logical "
                "ids {missing}) within 2 s; seL4 would wait here forever")
BOOT_DONE = "Booting all finished, dropped to user space"
MRS_X9_TPIDR_EL1 = 0xd538d089


@pytest.fixture(scope="module")
def smp_kernel(artifacts):
    path = os.path.join(os.path.dirname(artifacts.standin_kernel), f"kernel-smp{NODES}.elf")
    if not os.path.exists(path):
        pytest.fail(f"the SMP stand-in is missing at {path}: run `make all` first")
    return path


def stack_alloc_size(kernel):
    return expect.elf_facts(kernel).symbols["kernel_stack_alloc"][1]


def claiming_fewer_stacks(kernel, out, nodes):
    """A copy of kernel whose kernel_stack_alloc symbol claims `nodes` stacks
    (only st_size changes): the loader then starts nodes - 1 other cores."""
    shutil.copyfile(kernel, out)
    with open(out, "r+b") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        index = next(i for i, s in enumerate(symtab.iter_symbols()) if s.name == "kernel_stack_alloc")
        f.seek(symtab["sh_offset"] + index * symtab["sh_entsize"] + 16)   # Elf64_Sym.st_size
        f.write(struct.pack("<Q", nodes * STACK))
    assert stack_alloc_size(str(out)) == nodes * STACK
    return str(out)


def boot_smp(booter, kernel, roottask, smp=NODES, **kw):
    """Packs kernel and roottask and boots them on a 4-CPU virt (or smp),
    whatever the kernel says it needs (some tests give it a kernel claiming
    fewer)."""
    image = booter.pack(kernel, roottask)
    return booter.boot(image, smp=smp, **kw)


def assert_sel4_booted(r):
    """Real seL4 says nothing when cores are missing: it never finishes booting."""
    assert BOOT_DONE in r.lines, f"real SMP seL4 did not finish booting\n{r.describe()}"


def assert_refused_after_wait(r, line):
    """line is printed once, where seL4's boot core would start waiting (after
    the region list, no "Booting all finished"), and QEMU powers off."""
    assert line in r.lines, r.describe()
    assert r.lines.count(line) == 1, r.describe()
    assert BOOT_DONE not in r.lines, r.describe()
    regions = [i for i, l in enumerate(r.lines) if re.match(r"^  \[ffffff80[0-9a-f]+\.\.", l)]
    assert regions and regions[-1] < r.lines.index(line), r.describe()
    assert not r.timed_out and r.exit_code == 0, f"QEMU did not power off: {r.describe()}"


# --- the node count in the ELF ------------------------------------------------

@pytest.mark.unit
def test_kernel_stack_alloc_size_is_the_node_count(artifacts, smp_kernel):
    assert stack_alloc_size(artifacts.standin_kernel) == 1 * STACK
    assert stack_alloc_size(smp_kernel) == NODES * STACK
    # One stack per core, 4 KiB aligned: head.S puts stack top | id in TPIDR_EL1.
    assert expect.elf_facts(smp_kernel).symbols["kernel_stack_alloc"][0] % STACK == 0


def configured_nodes(kernel):
    """KernelMaxNumNodes from the config.txt beside a real kernel build
    (independent of the ELF), or a skip."""
    path = os.path.join(os.path.dirname(kernel), "config.txt")
    m = re.search(r"^#define CONFIG_MAX_NUM_NODES\s+(\d+)", open(path).read(), re.M) \
        if os.path.exists(path) else None
    if m is None:
        pytest.skip(f"no config.txt with CONFIG_MAX_NUM_NODES beside {kernel}: nothing independent "
                    "to compare with")
    return int(m[1])


@pytest.mark.unit
@pytest.mark.parametrize("sel4", SEL4_SMP_PARAMS)
def test_real_sel4_carries_the_same_fact(sel4):
    kernel = sel4_smp_kernel_path(sel4)
    assert stack_alloc_size(kernel) == configured_nodes(kernel) * STACK


# --- the label table ----------------------------------------------------------

def host_probe(tmp_path, name, includes, prints, include_dirs):
    """Compiles and runs a host C program that #includes `includes` and runs
    the printf lines `prints`; returns its output lines, split on blanks."""
    c = tmp_path / f"{name}.c"
    exe = tmp_path / name
    c.write_text("#include <stdio.h>\n" + "".join(f"#include {h}\n" for h in includes) +
                 "int main(void)\n{\n" + "".join(f"    {p}\n" for p in prints) +
                 "    return 0;\n}\n")
    subprocess.run([HOSTCC, "-std=c11", "-Wall", "-Werror", *[f"-I{d}" for d in include_dirs],
                    str(c), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()]


def our_labels(tmp_path):
    """SEL4_INVOCATION_LABEL(label, 1) and (label, 4) from sel4_abi.h."""
    prints = [f'printf("{n} %lu %lu\\n", (unsigned long)SEL4_INVOCATION_LABEL({n}, 1), '
              f'(unsigned long)SEL4_INVOCATION_LABEL({n}, {NODES}));' for n in LABELS]
    rows = host_probe(tmp_path, "labels", ['"sel4_abi.h"'], prints,
                      [os.path.join(ROOT, "targets", "include")])
    return {name: (int(single), int(smp)) for name, single, smp in rows}


@pytest.mark.unit
def test_label_table(tmp_path):
    ours = our_labels(tmp_path)
    assert ours == {n: (single, smp) for n, (_, single, smp) in LABELS.items()}
    assert LABELS["SEL4_LABEL_TCB_UNBIND_NOTIFICATION"][1] + 1 == 15   # TCBSetAffinity (SMP)


@pytest.mark.unit
@pytest.mark.parametrize("build,column", [(SEL4_BUILD, 1), (SEL4_SMP_BUILD, 2)],
                         ids=["single-core", "smp"])
def test_label_table_matches_sel4_build(tmp_path, build, column):
    if not build:
        pytest.skip("no seL4 build tree given (SEL4_BUILD=... single-core, SEL4_SMP_BUILD=... SMP)")
    headers = os.path.join(build, "kernel", "gen_headers")
    config = os.path.join(build, "kernel", "gen_config")
    if not os.path.isfile(os.path.join(headers, "arch", "api", "invocation.h")):
        pytest.fail(f"{build} is not a seL4 build tree (no kernel/gen_headers/arch/api/invocation.h)")
    prints = [f'printf("{sel4} %d\\n", (int){sel4});' for sel4, _, _ in LABELS.values()]
    rows = host_probe(tmp_path, "sel4_labels", ["<kernel/gen_config.h>",
                                                "<arch/api/invocation.h>"],
                      prints, [config, headers])
    assert {name: int(v) for name, v in rows} == {e[0]: e[column] for e in LABELS.values()}


# --- boots ------------------------------------------------------------------

@pytest.mark.qemu
def test_every_core_arrives_and_spawning_uses_smp_labels(booter, artifacts, smp_kernel):
    # The machine the booter gives the kernel (as many CPUs as it has nodes):
    # the very boot test_standin_releases makes of its 13.0.0-smp4 copy, made
    # once per run.
    r = booter.boot_shared(booter.pack(smp_kernel, artifacts.roottask), timeout=90)
    assert "-smp" in r.command and r.command[r.command.index("-smp") + 1] == str(NODES), r.describe()
    assert BOOT_DONE in r.lines, r.describe()
    assert not [l for l in r.lines if l.startswith("stand-in:")], r.describe()
    f = facts(r.serial)
    assert f["numNodes"] == [str(NODES)] and f["nodeID"] == ["0"], r.describe()
    assert "roottask: check nodeID ok" in r.lines, r.describe()
    assert f["checks"][1] == "0", r.describe()
    # Spawning retypes, copies, mints, maps and assigns: all with SMP labels,
    # in the root task and, with numNodes from its x5, in system_init.
    assert "roottask: components OK" in r.lines, r.describe()
    assert "roottask: chain: system_init -> ipc_producer ok, ipc_consumer ok" in r.lines, r.describe()


@pytest.mark.qemu
def test_only_the_boot_core_arrives(booter, artifacts, smp_kernel, tmp_path):
    one = claiming_fewer_stacks(smp_kernel, tmp_path / "kernel-claims-1.elf", 1)
    r = boot_smp(booter, one, artifacts.roottask, timeout=30)
    assert_refused_after_wait(r, MISSING_LINE.format(arrived=1, missing="1, 2, 3"))
    # Bounded: 2 s of waiting plus the boot, not the 30 s deadline.
    assert r.elapsed < 15, r.describe()


@pytest.mark.qemu
def test_two_of_four_cores_arrive(booter, artifacts, smp_kernel, tmp_path):
    two = claiming_fewer_stacks(smp_kernel, tmp_path / "kernel-claims-2.elf", 2)
    r = boot_smp(booter, two, artifacts.roottask, timeout=30)
    assert_refused_after_wait(r, MISSING_LINE.format(arrived=2, missing="2, 3"))


@pytest.mark.qemu
def test_single_core_stand_in_on_four_cpus(booter, artifacts):
    """The single-core kernel needs no other core: extra CPUs change nothing."""
    r = boot_smp(booter, artifacts.standin_kernel, artifacts.roottask)
    assert BOOT_DONE in r.lines, r.describe()
    assert facts(r.serial)["numNodes"] == ["1"], r.describe()
    assert "roottask: components OK" in r.lines, r.describe()


@pytest.mark.qemu
@pytest.mark.sel4
@pytest.mark.parametrize("sel4", SEL4_SMP_PARAMS)
def test_real_sel4_smp_spawns_with_smp_labels(sel4, booter, artifacts):
    kernel = sel4_smp_kernel_path(sel4)
    nodes = target.read(kernel).nodes
    r = boot_smp(booter, kernel, artifacts.roottask, timeout=60, smp=nodes)
    assert_sel4_booted(r)
    f = facts(r.serial)
    assert f["numNodes"] == [str(nodes)], r.describe()
    assert "roottask: boot OK" in r.lines, r.describe()
    assert "roottask: components OK" in r.lines, r.describe()
    assert "roottask: chain: system_init -> ipc_producer ok, ipc_consumer ok" in r.lines, r.describe()


def errprobe_codes(booter, artifacts, kernel, real=False, smp=NODES):
    """The probe.* facts of errprobe (fixtures/components/errprobe/, every
    invocation error the stand-in checks) booted on kernel under -smp 4 (or smp)."""
    r = boot_smp(booter, kernel, os.path.join(artifacts.fixtures, "components", "errprobe.elf"),
                 timeout=60, smp=smp)
    if real:
        assert_sel4_booted(r)
    assert "roottask: probe done" in r.lines, r.describe()
    codes = {k: v for k, v in facts(r.serial).items() if k.startswith("probe.")}
    assert codes, r.describe()
    return codes


@pytest.mark.qemu
def test_errprobe_codes_do_not_depend_on_the_node_count(booter, artifacts, smp_kernel):
    """Numbered for the kernel it runs on, every invocation fails (or not)
    on the SMP stand-in exactly as on the single-core one."""
    assert errprobe_codes(booter, artifacts, smp_kernel) == \
        errprobe_codes(booter, artifacts, artifacts.standin_kernel)


@pytest.mark.qemu
@pytest.mark.sel4
@pytest.mark.parametrize("sel4", SEL4_SMP_PARAMS)
def test_errprobe_codes_match_real_smp_sel4(sel4, booter, artifacts):
    """On the stand-in build of the real kernel's release, MCS and cores."""
    kernel = sel4_smp_kernel_path(sel4)
    nodes = target.read(kernel).nodes
    standin = require_build(paired_build(kernel))
    assert errprobe_codes(booter, artifacts, standin, smp=nodes) == \
        errprobe_codes(booter, artifacts, kernel, real=True, smp=nodes)


# --- one core's entry state changed under gdb --------------------------------

def kernel_entry(kernel):
    return expect.elf_facts(kernel).entry


def after_core_id_read(kernel):
    """The instruction after _start's first `mrs x9, tpidr_el1`: x9 there is
    the logical id the core claims, as if the loader had put it in TPIDR_EL1
    (QEMU's gdbstub cannot write TPIDR_EL1 itself)."""
    start = expect.elf_facts(kernel).symbols["_start"][0]
    with open(kernel, "rb") as f:
        elf = ELFFile(f)
        seg = next(s for s in elf.iter_segments()
                   if s["p_type"] == "PT_LOAD" and s["p_vaddr"] <= start < s["p_vaddr"] + s["p_filesz"])
        f.seek(seg["p_offset"] + start - seg["p_vaddr"])
        words = struct.unpack("<64I", f.read(256))
    return start + 4 * (words.index(MRS_X9_TPIDR_EL1) + 1)


def kill_qemu(pidfile):
    """Kills the QEMU that wrote pidfile, if it still runs (and is that QEMU:
    a stale pid may belong to someone else by now)."""
    try:
        pid = int(pidfile.read_text())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if str(pidfile).encode() in f.read():
                os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def boot_under_gdb(image, tmp_path, address, cpu, register, value, seconds=60):
    """Boots image on a 4-CPU virt under gdb; when CPU `cpu` (0 = boot core)
    reaches `address`, sets `register` to the gdb expression `value` and lets
    it run on. Returns the serial output; QEMU is gone afterwards."""
    if shutil.which(GDB) is None:
        pytest.skip(f"{GDB} is not installed")
    serial, pidfile = tmp_path / "serial.log", tmp_path / "qemu.pid"
    qemu = [*machine_argv(VIRT, "cortex-a53", 1024), "-smp", str(NODES), "-monitor", "none",
            "-serial", f"file:{serial}", "-no-reboot", "-pidfile", str(pidfile), "-S",
            "-gdb", "stdio", "-kernel", str(image)]
    script = tmp_path / "change-entry.gdb"
    script.write_text(
        "set pagination off\nset confirm off\nset remotetimeout 30\n"
        f"target remote | exec {' '.join(shlex.quote(a) for a in qemu)}\n"
        f"break *{address:#x} thread {cpu + 1}\n"
        f"commands\n  silent\n  set ${register} = {value}\n  continue\nend\n"
        "continue\n")
    proc = subprocess.Popen([GDB, "-nx", "-batch", "-x", str(script)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        gdb_out, _ = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        gdb_out, _ = proc.communicate()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        kill_qemu(pidfile)
    text = serial.read_text(errors="replace").replace("\r\n", "\n") if serial.exists() else ""
    print(f"--- gdb ---\n{gdb_out.decode(errors='replace')}\n--- serial ---\n{text}")
    return text


def gdb_case(booter, artifacts, smp_kernel, tmp_path, address, cpu, register, value):
    image = booter.pack(smp_kernel, artifacts.roottask)
    serial = boot_under_gdb(image, tmp_path, address, cpu, register, value)
    return serial, serial.split("\n")


@pytest.mark.qemu
def test_core_with_other_entry_registers(booter, artifacts, smp_kernel, tmp_path):
    serial, lines = gdb_case(booter, artifacts, smp_kernel, tmp_path, kernel_entry(smp_kernel),
                             3, "x3", "$x3 + 0x1000")
    x3 = expect.parse_loader_handoff(serial)[3]
    line = (f"stand-in: core 3 entered the kernel with x3 = {x3 + 0x1000:#x}, but the boot core "
            f"(logical id 0) entered with x3 = {x3:#x}; every core must enter with the boot "
            "core's x0..x5")
    assert line in lines and BOOT_DONE not in lines


@pytest.mark.qemu
def test_logical_id_taken_twice(booter, artifacts, smp_kernel, tmp_path):
    _, lines = gdb_case(booter, artifacts, smp_kernel, tmp_path, after_core_id_read(smp_kernel),
                        1, "x9", "2")
    assert ("stand-in: two cores entered the kernel with logical core id 2 in TPIDR_EL1; the "
            "loader must give each core its own id 0..3 (boot core 0); seL4 would run both on "
            "one kernel stack") in lines
    assert BOOT_DONE not in lines


@pytest.mark.qemu
def test_logical_id_out_of_range(booter, artifacts, smp_kernel, tmp_path):
    _, lines = gdb_case(booter, artifacts, smp_kernel, tmp_path, after_core_id_read(smp_kernel),
                        2, "x9", "7")
    assert ("stand-in: a core entered the kernel with TPIDR_EL1 = 0x7, which is no logical core "
            "id below 4 (MAX_NUM_NODES); the loader must put each core's logical id in TPIDR_EL1 "
            "(boot core 0); seL4 would take that core's kernel stack from past the end of "
            "kernel_stack_alloc") in lines
    assert BOOT_DONE not in lines


@pytest.mark.qemu
def test_no_core_with_logical_id_0(booter, artifacts, smp_kernel, tmp_path):
    _, lines = gdb_case(booter, artifacts, smp_kernel, tmp_path, after_core_id_read(smp_kernel),
                        0, "x9", "5")
    assert ("stand-in: core 1 waited 2 s at the kernel entry, but no core entered with logical "
            "id 0 (TPIDR_EL1 = 0) to boot the kernel (cores that did enter: 1, 2, 3; a core "
            "with TPIDR_EL1 = 0x5 was parked); seL4 would wait here forever") in lines
    assert "Bootstrapping kernel" not in lines
