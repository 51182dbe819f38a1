"""Shared by the scenario tests: resolve a scenario's inputs, pack its image
(once per input set per session), run it in gdb and judge the outcome.

With IMAGE= (make verify IMAGE=their-loader.elf [KERNEL= ROOTTASK=]) every
scenario written for real seL4 also runs on that image as it is, not packed
by us: its kernel, root task and DTB come from the payload finder, and the
hand-off the scenario expects is the one the image was observed to make in
emulation, after seL4's contract (bootcheck.check.contract) accepted it."""

import os
import re

import pytest

from bootcheck.boot import gdbrun, qemu_machine, scenario
from bootcheck.check import checkrun, contract, diagnosis
from bootcheck.pack import images

from conftest import BUILD, REPORTS, ROOT, Artifacts, sel4_kernel_of_flavour, sel4_kernels_of_flavour

SCENARIO_DIR = os.path.join(ROOT, "scenarios")
FIXTURE_DTBS = {"virt-1g": Artifacts.virt_dtb}
_packed = {}
FOREIGN = "image"                     # the kernel index of a scenario run on IMAGE
# scenario kernel name -> (hyp, SMP): the seL4 builds a scenario is written for
SEL4_FLAVOURS = {"sel4": (False, False), "sel4-hyp": (True, False), "sel4-smp4": (False, True)}
_foreign = {}


def scenario_cases():
    """(path, kernel index, real kernel, id) for every scenario file and
    kernel. A scenario written for a flavour of real seL4 ("sel4",
    "sel4-hyp", "sel4-smp4") runs once on every given kernel of that flavour,
    any release and MCS or not (SEL4_KERNEL; SEL4_SMP_KERNEL counts as an SMP
    one), its id naming the kernel (boot-el1-sel4-16.0.0-mcs-el1); with none,
    one case is skipped with the reason. A file that does not even load
    still gets one case, which fails with the reason."""
    cases = []
    for name in sorted(os.listdir(SCENARIO_DIR)):
        if not name.endswith(".toml"):
            continue
        path = os.path.join(SCENARIO_DIR, name)
        stem = name[:-5]
        try:
            ids = scenario.kernel_ids(path)
        except scenario.ScenarioError:
            cases.append(pytest.param(path, 0, None, id=stem))
            continue
        for i, k in enumerate(ids):
            real = sel4_kernels_of_flavour(*SEL4_FLAVOURS[k]) if k in SEL4_FLAVOURS else []
            if real:
                cases += [pytest.param(path, i, kpath, id=f"{stem}-{fid}") for fid, kpath in real]
            else:
                cases.append(pytest.param(path, i, None, id=f"{stem}-{k}"))
        # IMAGE= (another loader's image) is judged by the AArch64 emu-check only.
        if any(k in SEL4_FLAVOURS for k in ids) and _is_aarch64_scenario(path):
            cases.append(pytest.param(path, FOREIGN, None, id=f"{stem}-{FOREIGN}"))
    return cases


def _is_aarch64_scenario(path):
    try:
        return "aarch64" in scenario.arches(path, scenario.load(path))
    except scenario.ScenarioError:
        return True


class ForeignImage:
    """IMAGE's payload, and the hand-off it makes, judged once per session."""

    def __init__(self, work):
        env = {k: os.environ.get(k) or None for k in ("IMAGE", "IMAGE_KERNEL", "IMAGE_ROOTTASK", "IMAGE_DTB")}
        self.image = env["IMAGE"]
        try:
            self.kernel, self.roottask, self.dtb, self.payload = checkrun.find_payload(
                self.image, env["IMAGE_KERNEL"], env["IMAGE_ROOTTASK"], env["IMAGE_DTB"], work)
            inp = contract.Inputs.load(self.kernel, self.roottask)
            # The machine the kernel needs (an SMP kernel: as many CPUs), as for
            # every other boot (bootcheck.boot.qemu_machine).
            report = checkrun.run_emu(self.image, inp.el, 1024, env["IMAGE_KERNEL"],
                                      env["IMAGE_ROOTTASK"], env["IMAGE_DTB"], work, 100_000_000,
                                      machine=qemu_machine.machine_for(self.kernel),
                                      cpus=inp.nodes)
        except checkrun.CheckError as e:
            self.problem = f"IMAGE={self.image}: {e}"
            return
        self.target = inp.target       # what the kernel is (bootcheck.kernel.target)
        broken = contract.diagnosis(contract.summarize(contract.judge_emu(inp, report)))
        self.problem = None
        if broken is not None:
            self.problem = (f"IMAGE={self.image} breaks seL4's contract before the kernel runs, so no "
                            f"scenario can expect anything of it: link {broken.order + 1} ({broken.rule}): "
                            f"{broken.sentence} (make check IMAGE=... shows every rule)")
            return
        self.observed = report["observations"]["x"]
        with open(self.roottask, "rb") as a, open(Artifacts.roottask, "rb") as b:
            self.own_roottask = a.read() == b.read()


def foreign_image(tmp_path_factory):
    if not os.environ.get("IMAGE"):
        pytest.skip("no loader image given (make verify IMAGE=their-loader.elf [KERNEL=... ROOTTASK=...])")
    if "image" not in _foreign:
        _foreign["image"] = ForeignImage(str(tmp_path_factory.mktemp("foreign-image")))
    f = _foreign["image"]
    if f.problem:
        pytest.fail(f.problem, pytrace=False)
    return f


def run_foreign_scenario(path, data, request, tmp_path_factory):
    f = foreign_image(tmp_path_factory)
    flavours = {SEL4_FLAVOURS[k] for k in data["kernels"] if k in SEL4_FLAVOURS}
    if f.target.hyp not in {hyp for hyp, _ in flavours}:
        want, have = ("an EL1", "a hyp") if f.target.hyp else ("a hyp", "an EL1")
        pytest.skip(f"IMAGE carries {have} kernel; this scenario is for {want} seL4 build")
    if (f.target.hyp, f.target.smp) not in flavours:
        have = f"an SMP ({f.target.nodes}-core)" if f.target.smp else "a single-core"
        pytest.skip(f"IMAGE carries {have} kernel; this scenario is for "
                    f"{'a single-core' if f.target.smp else 'an SMP'} seL4 build")
    if data.get("roottask_specific") and not f.own_roottask:
        pytest.skip("this scenario follows bootcheck's own root task; IMAGE carries another")
    prepared = scenario.prepare(path, data, 0, f.kernel, f.roottask, f.dtb, f.image,
                                observed=f.observed, own_roottask=f.own_roottask)
    # Another root task need not end the run (our serial lines do not apply):
    # once every stop is reached, watch 2 s more for a fault report.
    return prepared, f.image, f.kernel, None if f.own_roottask else 2.0


def kernel_paths(request):
    """Kernel names usable in scenarios; None values are skipped by the caller."""
    def of_flavour(hyp):
        path = sel4_kernel_of_flavour(hyp)
        if path is None:
            what = "hyp (EL2)" if hyp else "EL1"
            pytest.skip(f"no {what} seL4 kernel given (make verify SEL4_KERNEL=\"kernel.elf "
                        "kernel-hyp.elf\"); this scenario is for that flavour")
        return path

    def sel4():
        return of_flavour(False)

    def sel4_hyp():
        return of_flavour(True)

    def standin():
        if not os.path.isfile(Artifacts.standin_kernel):
            pytest.skip(f"stand-in kernel not built yet ({Artifacts.standin_kernel}; `make standin`)")
        return Artifacts.standin_kernel

    def standin_smp4():
        path = os.path.join(BUILD, "targets", "standin", "kernel-smp4.elf")
        if not os.path.isfile(path):
            pytest.fail(f"{path} is missing: run `make all` first", pytrace=False)
        return path

    def sel4_smp4():
        found = sel4_kernels_of_flavour(False, smp=True)
        if not found:
            pytest.skip("no real SMP seL4 kernel given (SEL4_KERNEL=\"... kernel-smp4.elf\")")
        return found[0][1]

    return {"sel4": sel4, "sel4-hyp": sel4_hyp, "standin": standin, "standin-smp4": standin_smp4,
            "sel4-smp4": sel4_smp4}


def pack_once(kernel, roottask, dtb, mem, tmp_dir):
    key = (kernel, os.path.getmtime(kernel), roottask, os.path.getmtime(roottask), dtb, mem)
    if key not in _packed:
        out = os.path.join(tmp_dir, f"scenario-image-{len(_packed)}.elf")
        _packed[key] = images.pack_ok(kernel, roottask, out, dtb=dtb, mem=mem)
    return _packed[key]


def run_scenario(path, kernel_index, request, tmp_path_factory, firmware=None, sel4_kernel=None):
    """Loads, prepares and runs one scenario; returns (prepared, run).
    firmware: boot through it instead of QEMU's -kernel (gdbrun.run).
    sel4_kernel: the real kernel for a "sel4*" kernel name (default: the
    first given one of its flavour)."""
    try:
        data = scenario.load(path)
        if kernel_index == FOREIGN:
            prepared, image, kernel, linger = run_foreign_scenario(path, data, request, tmp_path_factory)
            return _run(path, prepared, image, kernel, request, linger)
        name = data["kernels"][kernel_index]
        getters = kernel_paths(request)
        paths = {k: None for k in getters}
        arches = scenario.arches(path, data)
        if name in SEL4_FLAVOURS and sel4_kernel is not None:
            paths[name] = sel4_kernel
        elif name in SEL4_FLAVOURS and "aarch64" not in arches:
            smp = SEL4_FLAVOURS[name][1]
            pytest.skip(f"no {'SMP' if smp else 'single-core'} {' or '.join(arches)} seL4 kernel given "
                        "(make verify SEL4_KERNEL=\"kernel.elf ...\" of such a build); this scenario is "
                        "for that flavour")
        elif name in getters:
            paths[name] = getters[name]()
        pending = scenario.pending_reason(data, kernel_index)
        if pending and not os.path.isfile(scenario._resolve_path(name, ROOT, BUILD)):
            pytest.skip(f"{name} is not built yet: {pending}")
        kernel, roottask, dtb = scenario.resolve_inputs(path, data, kernel_index, paths, ROOT,
                                                        BUILD, FIXTURE_DTBS)
        # A scenario meets only kernels of the architectures it is written
        # for (the kernel's ELF says which): any other skips, saying so.
        wrong_arch = scenario.not_for(path, data, kernel)
        if wrong_arch:
            pytest.skip(wrong_arch)
        mem = data.get("machine", {}).get("mem", 1024)
        image = pack_once(kernel, roottask, dtb, mem, str(tmp_path_factory.getbasetemp()))
        prepared = scenario.prepare(path, data, kernel_index, kernel, roottask, dtb, image)
    except scenario.ScenarioError as e:
        pytest.fail(f"malformed scenario: {e}", pytrace=False)
    return _run(path, prepared, image, kernel, request, firmware=firmware)


def _run(path, prepared, image, kernel, request, linger=None, firmware=None):
    smp = qemu_machine.kernel_nodes(kernel)
    try:
        qemu_machine.check_agrees(kernel, prepared.machine, smp=smp)
    except qemu_machine.MachineMismatch as e:
        pytest.fail(f"scenario {path}: {e}", pytrace=False)
    os.makedirs(os.path.join(REPORTS, "logs"), exist_ok=True)
    log = os.path.join(REPORTS, "logs", re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".serial.log")
    run = gdbrun.run(prepared.plan, image, prepared.machine, prepared.cpu, prepared.mem,
                     prepared.seconds, prepared.end_on, keep_serial=log, linger=linger, smp=smp,
                     firmware=firmware)
    return prepared, run


def serial_problems(prepared, serial):
    lines = [l.rstrip() for l in serial.splitlines()]
    problems = []
    for kind, text in prepared.serial_expect:
        found = (text in lines) if kind == "line" else any(re.fullmatch(text, l) for l in lines)
        if not found:
            problems.append(f"serial: expected {'line' if kind == 'line' else 'a line matching'} {text!r}")
    for _, text in prepared.serial_forbid:
        if text in serial:
            problems.append(f"serial: forbidden text {text!r} appeared")
    return problems


def judge(prepared, run):
    """All the reasons the run does not meet its scenario ([] = pass)."""
    text = diagnosis.describe(prepared, run)
    r = run.result
    problems = []
    if "error" in r:
        problems.append(f"gdb side: {r['error']}")
    missing = diagnosis.first_unreached(r)
    if prepared.unreached is None and (missing is not None or not r.get("all_reached")):
        problems.append("not every stop was reached")
    if prepared.unreached is not None and (missing is None or missing["name"] != prepared.unreached):
        problems.append(f"expected the run to end before stop {prepared.unreached!r}")
    problems += diagnosis.failed_checks(r)
    problems += diagnosis.cpu_problems(r, prepared.facts.get("kernel.nodes", 1))
    problems += serial_problems(prepared, run.serial)
    if run.killed:
        problems.append("gdb had to be killed")
    return problems, text
