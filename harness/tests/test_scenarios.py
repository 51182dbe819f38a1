"""QEMU + GDB scenarios: every scenarios/*.toml file, once per kernel it
lists. Select with -k (e.g. -k 'contract and standin')."""

import os

import pytest

from bootcheck import scenario

import scenario_runner
from scenario_runner import FOREIGN, ROOT, judge, run_scenario, scenario_cases

pytestmark = pytest.mark.qemu


@pytest.mark.parametrize("path,kernel_index,sel4_kernel", scenario_cases())
def test_scenario(path, kernel_index, sel4_kernel, request, tmp_path_factory):
    prepared, run = run_scenario(path, kernel_index, request, tmp_path_factory, sel4_kernel=sel4_kernel)
    problems, text = judge(prepared, run)
    print(text)
    assert not problems, "\n".join(problems) + "\n\n" + text


def test_unreachable_stop_is_diagnosed(request, tmp_path_factory, artifacts):
    """The probe kernel powers off right after reporting: the root-task
    stop cannot be reached, and the diagnosis must say so precisely."""
    from bootcheck import expect
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
    from bootcheck import expect
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
    from bootcheck import diagnosis
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
