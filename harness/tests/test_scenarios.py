"""QEMU + GDB scenarios: every scenarios/*.toml file, once per kernel it
lists. Select with -k (e.g. -k 'contract and standin')."""

import os

import pytest

from bootcheck.boot import scenario

import scenario_runner
from scenario_runner import FOREIGN, ROOT, judge, run_scenario, scenario_cases

pytestmark = pytest.mark.qemu
# Real kernels of both architectures come here: each scenario says which it
# is written for (arch = ...) and skips the others with the reason.
KERNEL_ARCHES = ("aarch64", "riscv64")


@pytest.mark.parametrize("path,kernel_index,sel4_kernel", scenario_cases())
def test_scenario(path, kernel_index, sel4_kernel, request, tmp_path_factory):
    prepared, run = run_scenario(path, kernel_index, request, tmp_path_factory, sel4_kernel=sel4_kernel)
    problems, text = judge(prepared, run)
    print(text)
    assert not problems, "\n".join(problems) + "\n\n" + text


def test_unreachable_stop_is_diagnosed(request, tmp_path_factory, artifacts):
    """The probe kernel powers off right after reporting: the root-task
    stop cannot be reached, and the diagnosis must say so precisely."""
    from bootcheck.kernel import expect
    path = os.path.join(ROOT, "scenarios", "diagnose-probe-poweroff.toml")
    prepared, run = run_scenario(path, 0, request, tmp_path_factory)
    _, text = judge(prepared, run)
    print(text)
    entry = expect.elf_facts(artifacts.roottask).entry
    probe = expect.elf_facts(artifacts.probe_el1)
    assert f'stop 2 of 2 "root task entry" at 0x{entry:x} was never reached' in text
    assert f'last stop reached: 1 "kernel _start" at PC=0x{probe.entry:x} EL=1' in text
    assert "ended by guest shut down (PSCI SYSTEM_OFF)" in text
    end = run.result["end"]
    assert end["el"] == 1 and probe.vmin <= end["pc"] < probe.vmax, text
    assert f"state at end: PC=0x{end['pc']:x} EL=1" in text
    assert "ESR_EL1=" in text and "ELR_EL1=" in text and "FAR_EL1=" in text
    assert "  | probe: done" in text.splitlines(), text


def test_wrong_expectation_fails(request, tmp_path, tmp_path_factory, artifacts):
    """The oracle can say no: a condition that contradicts the ELF files,
    a serial line that never comes and a forbidden one that does all fail."""
    if not os.path.isfile(artifacts.standin_kernel):
        pytest.skip("stand-in kernel not built yet (`make standin`)")
    path = tmp_path / "wrong.toml"
    path.write_text('kernels = ["standin"]\n[budget]\nseconds = 10\n'
                    '[[stops]]\nname = "kernel _start"\nat = "_start"\n'
                    '[stops.expect]\nx0 = "handoff.x1"\nel = 0\n'
                    '[serial]\nexpect = ["no such line"]\nforbid = ["Bootstrapping kernel"]\n')
    prepared, run = run_scenario(str(path), 0, request, tmp_path_factory)
    problems, text = judge(prepared, run)
    assert 'stop "kernel _start": x0: got 0x' in "\n".join(problems), text
    assert any(p.startswith('stop "kernel _start": el: got 0x1, expected eq 0x0') for p in problems), problems
    assert "serial: expected line 'no such line'" in problems
    assert "serial: forbidden text 'Bootstrapping kernel' appeared" in problems


def _foreign(monkeypatch, image, artifacts):
    """IMAGE= mode on an image of the altloader (another loader, another
    placement), with the kernel and root task it carries named."""
    monkeypatch.setenv("IMAGE", image)
    monkeypatch.setenv("IMAGE_KERNEL", artifacts.standin_kernel)
    monkeypatch.setenv("IMAGE_ROOTTASK", artifacts.roottask)
    monkeypatch.setattr(scenario_runner, "_foreign", {})


def test_scenario_runs_on_a_foreign_image(request, tmp_path_factory, monkeypatch, artifacts):
    """make verify IMAGE=...: the default boot scenario on a loader we did not
    pack, which puts the root task at the top of RAM: its stops expect the
    hand-off that loader made (accepted by the contract), not our plan."""
    from bootcheck.kernel import expect
    image = os.path.join(os.environ.get("BUILD", os.path.join(ROOT, "build")), "fixtures", "altloader",
                         "good.elf")
    _foreign(monkeypatch, image, artifacts)
    path = os.path.join(ROOT, "scenarios", "boot-el1.toml")
    prepared, run = run_scenario(path, FOREIGN, request, tmp_path_factory)
    problems, text = judge(prepared, run)
    print(text)
    assert not problems, "\n".join(problems) + "\n\n" + text
    u = expect.elf_facts(artifacts.roottask)
    span = expect.round_up(u.vmax, expect.PAGE) - expect.round_down(u.vmin, expect.PAGE)
    ours = expect.expected_handoff(artifacts.standin_kernel, artifacts.roottask,
                                   expect.dtb_handover_size(artifacts.virt_dtb))
    assert prepared.facts["handoff.x0"] == 0x80000000 - span != ours.x[0]
    assert prepared.facts["bootinfo.va"] == prepared.facts["handoff.x1"] - prepared.facts["handoff.x2"] + 0x1000
    at_kernel = [s for s in run.result["stops"] if s["name"] in ("kernel _start", "init_kernel")]
    x0_checks = [c for s in at_kernel for c in s.get("checks", []) if c["lhs"] == "x0"]
    assert len(x0_checks) == 2 and all(c["ok"] and c["actual"] == 0x80000000 - span for c in x0_checks)


def test_foreign_image_that_breaks_the_contract_is_refused(request, tmp_path_factory, monkeypatch,
                                                           artifacts):
    image = os.path.join(os.environ.get("BUILD", os.path.join(ROOT, "build")), "fixtures", "altloader",
                         "x3-not-entry.elf")
    _foreign(monkeypatch, image, artifacts)
    path = os.path.join(ROOT, "scenarios", "boot-el1.toml")
    with pytest.raises(pytest.fail.Exception) as e:
        run_scenario(path, FOREIGN, request, tmp_path_factory)
    assert str(e.value).startswith(f"IMAGE={image} breaks seL4's contract before the kernel runs, so no "
                                   "scenario can expect anything of it: link 8 (user_entry): x3 = ")


def test_smp_scenario_sees_every_cpu(request, tmp_path_factory):
    """boot-smp on the SMP stand-in: four gdb threads pass _start with ids
    0..3; the judge names a CPU whose hand-off differs from the boot core's."""
    import copy
    from bootcheck.check import diagnosis
    path = os.path.join(ROOT, "scenarios", "boot-smp.toml")
    prepared, run = run_scenario(path, 0, request, tmp_path_factory)
    problems, text = judge(prepared, run)
    assert not problems, "\n".join(problems) + "\n\n" + text
    cpus = run.result["stops"][0]["cpus"]
    assert sorted(cpus) == ["1", "2", "3", "4"], cpus
    assert [cpus[t]["tpidr_el1"] for t in ("1", "2", "3", "4")] == [0, 1, 2, 3]
    assert all(c["h3"] == cpus["1"]["h3"] and c["mmu"] == 1 and c["el"] == 1 for c in cpus.values())
    broken = copy.deepcopy(run.result)
    broken["stops"][0]["cpus"]["3"]["h3"] += 4
    del broken["stops"][0]["cpus"]["4"]
    assert diagnosis.cpu_problems(broken, 4) == [
        'stop "kernel _start, every CPU": 3 of 4 CPUs passed it (gdb threads 1, 2, 3)',
        f'stop "kernel _start, every CPU": CPU 2 (gdb thread 3) has h3 = 0x{cpus["1"]["h3"] + 4:x}, '
        f'the boot core 0x{cpus["1"]["h3"]:x}']
    broken["stops"][0]["cpus"]["3"]["tpidr_el1"] = 1
    assert diagnosis.cpu_problems(broken, 4)[-1] == (
        'stop "kernel _start, every CPU": TPIDR_EL1 of the CPUs = [0, 1, 1], not their logical ids 0..2')


# --- riscv64 -------------------------------------------------------------------

RV_STANDIN = os.path.join(scenario_runner.BUILD, "targets", "standin", "riscv64")
RV_ROOTTASK = os.path.join(scenario_runner.BUILD, "roottask", "riscv64", "roottask.elf")


def _rv_inputs(release="13.0.0"):
    kernel = os.path.join(RV_STANDIN, f"kernel-{release}.elf")
    for path in (kernel, RV_ROOTTASK):
        if not os.path.isfile(path):
            pytest.fail(f"{path} is missing: run `make all` first", pytrace=False)
    return kernel, RV_ROOTTASK


def _rvalt_image(tmp_path, mutant, kernel, roottask):
    """rvalt (fixtures/altloader/arch/riscv64), the second riscv64 loader,
    built with one of its mistakes around kernel and roottask."""
    import subprocess
    out = tmp_path / f"rvalt-{mutant}.elf"
    r = subprocess.run(["make", "-s", "--no-print-directory", "rvalt-image", f"KERNEL={kernel}",
                        f"ROOTTASK={roottask}", f"RVALT_MUTANT={mutant}", f"OUT={out}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return str(out)


def _run_on_image(path, image, kernel, roottask, request, linger=None):
    """A scenario on an image we did not pack (no contract gate: the point
    is to see the scenario itself say no)."""
    data = scenario.load(str(path))
    prepared = scenario.prepare(str(path), data, 0, kernel, roottask, None, image)
    return scenario_runner._run(str(path), prepared, image, kernel, request, linger=linger)


def test_riscv_scenario_names_a_wrong_a3(request, tmp_path):
    """rvalt's a3-not-entry mutant enters the riscv64 stand-in with a3 = the
    root task's entry + 4: a riscv64 stop at _start names exactly that, and
    only that (S-mode and Sv39 hold)."""
    from bootcheck.kernel import expect
    kernel, roottask = _rv_inputs()
    image = _rvalt_image(tmp_path, "a3-not-entry", kernel, roottask)
    path = tmp_path / "a3.toml"
    path.write_text('arch = "riscv64"\nkernels = ["standin-riscv64"]\ndtb = ""\n[budget]\nseconds = 30\n'
                    '[[stops]]\nname = "kernel _start"\nat = "_start"\n'
                    '[stops.expect]\na3 = "roottask.entry"\npriv = 1\n"bits(satp, 63, 60)" = 8\n')
    prepared, run = _run_on_image(path, image, kernel, roottask, request, linger=0.5)
    problems, text = judge(prepared, run)
    entry = expect.elf_facts(roottask).entry
    assert problems == [f'stop "kernel _start": a3: got 0x{entry + 4:x}, expected eq 0x{entry:x} '
                        '(roottask.entry)'], text
    assert 'last stop reached: 1 "kernel _start" at PC=0x' in text and " priv=1 (S-mode)" in text, text


def test_riscv_boot_scenario_diagnoses_a_loader_that_never_reaches_the_kernel(request, tmp_path):
    """boot-riscv on rvalt's never-reaches-kernel mutant (it jumps to the
    kernel's physical entry with paging on): the first stop is never
    reached, the run ends with rvalt's SBI shutdown, and its trap line,
    whose numbers come from the kernel's ELF, is in the diagnosis."""
    from bootcheck.kernel import expect
    kernel, roottask = _rv_inputs()
    image = _rvalt_image(tmp_path, "never-reaches-kernel", kernel, roottask)
    path = os.path.join(ROOT, "scenarios", "boot-riscv.toml")
    prepared, run = _run_on_image(path, image, kernel, roottask, request)
    problems, text = judge(prepared, run)
    print(text)
    k = expect.elf_facts(kernel)
    assert f'stop 1 of 4 "kernel _start" at 0x{k.symbols["_start"][0]:x} was never reached' in text
    assert "last stop reached: none" in text
    assert "ended by guest shut down (SBI shutdown: QEMU exited)" in text
    assert (f"  | rvalt: trap: instruction page fault (scause 0xc) at pc 0x{k.pmin:x}, stval 0x{k.pmin:x}"
            in text.splitlines()), text
    assert "not every stop was reached" in problems
    assert "serial: expected line 'roottask: boot OK'" in problems


def test_scenario_meets_only_its_architecture(request, tmp_path_factory, monkeypatch):
    """An AArch64 scenario given a riscv64 kernel skips with the reason, and
    a riscv64 scenario given an AArch64 kernel the same; a riscv64 scenario
    that names AArch64's `el` is refused, naming `priv`."""
    kernel, _ = _rv_inputs()
    arm = os.path.join(ROOT, "scenarios", "boot-el1.toml")
    assert scenario.not_for(arm, scenario.load(arm), kernel) == (
        f"{kernel} is a riscv64 kernel; scenario boot-el1.toml is written for aarch64 (arch = ...)")
    rv = os.path.join(ROOT, "scenarios", "boot-riscv.toml")
    arm_kernel = scenario_runner.Artifacts.standin_kernel
    assert scenario.not_for(rv, scenario.load(rv), arm_kernel) == (
        f"{arm_kernel} is an aarch64 kernel; scenario boot-riscv.toml is written for riscv64 (arch = ...)")
    index = scenario.load(arm)["kernels"].index("sel4")
    with pytest.raises(pytest.skip.Exception) as e:
        run_scenario(arm, index, request, tmp_path_factory, sel4_kernel=kernel)
    assert str(e.value) == f"{kernel} is a riscv64 kernel; scenario boot-el1.toml is written for aarch64 (arch = ...)"
    bad = tmp_path_factory.mktemp("rv-el") / "el.toml"
    bad.write_text(f'arch = "riscv64"\nkernels = ["{kernel}"]\ndtb = ""\n'
                   '[[stops]]\nname = "kernel _start"\nat = "_start"\n[stops.expect]\nel = 1\n')
    with pytest.raises(pytest.fail.Exception) as e:
        run_scenario(str(bad), 0, request, tmp_path_factory)
    assert str(e.value) == (f"malformed scenario: {bad}: stops[0].expect.\"el\": 'el' is not a riscv64 "
                            "register: use priv (S-mode = 1, U-mode = 0)")


def test_riscv_smp_scenario_sees_every_hart(request, tmp_path_factory):
    """boot-riscv-smp on a riscv64 SMP kernel (the stand-in's SMP build once
    it exists, else the real ones in SEL4_KERNEL): four gdb threads pass
    _start with core ids 0..3 and distinct hart ids; the judge names a hart
    whose hand-off differs from the boot hart's, and repeated ids."""
    import copy
    from bootcheck.check import diagnosis
    from bootcheck.kernel import target
    from conftest import SEL4_KERNELS
    path = os.path.join(ROOT, "scenarios", "boot-riscv-smp.toml")
    standin = os.path.join(RV_STANDIN, "kernel-smp4.elf")
    real = [p for _, p in SEL4_KERNELS if os.path.isfile(p) and target.read(p).arch == "riscv64"
            and target.read(p).smp]
    if os.path.isfile(standin):
        prepared, run = run_scenario(path, 0, request, tmp_path_factory)
    elif real:
        prepared, run = run_scenario(path, 1, request, tmp_path_factory, sel4_kernel=real[0])
    else:
        pytest.skip("no riscv64 SMP kernel: the stand-in's SMP build is not there yet and SEL4_KERNEL names "
                    "no riscv64 SMP kernel")
    problems, text = judge(prepared, run)
    assert not problems, "\n".join(problems) + "\n\n" + text
    stop = run.result["stops"][0]
    cpus, boot = stop["cpus"], stop["cpus"][str(stop["boot_thread"])]
    assert sorted(cpus) == ["1", "2", "3", "4"], cpus
    assert sorted(c["core"] for c in cpus.values()) == [0, 1, 2, 3] and boot["core"] == 0
    assert len({c["hart"] for c in cpus.values()}) == 4
    assert all(c["h0"] == boot["h0"] and c["satp"] == boot["satp"] and c["priv"] == 1 for c in cpus.values())
    # a secondary's a2 one page off, two harts claiming one core and one hart id
    one, two = [t for t in ("1", "2", "3", "4") if cpus[t] is not boot][:2]
    broken = copy.deepcopy(run.result)
    bcpus = broken["stops"][0]["cpus"]
    bcpus[one]["h2"] += 0x1000
    bcpus[two]["core"], bcpus[two]["hart"] = bcpus[one]["core"], bcpus[one]["hart"]
    cores = sorted(c["core"] for c in bcpus.values())
    harts = [c["hart"] for c in bcpus.values()]
    assert diagnosis.cpu_problems(broken, 4) == [
        f'stop "kernel _start, every hart": CPU {int(one) - 1} (gdb thread {one}) has h2 = '
        f'0x{boot["h2"] + 0x1000:x}, the boot core 0x{boot["h2"]:x}',
        f'stop "kernel _start, every hart": a7 (core id) of the CPUs = {cores}, not their logical ids 0..3',
        f'stop "kernel _start, every hart": a6 (hart id) of the CPUs = {harts}: not one hart each']
