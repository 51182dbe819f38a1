"""`make lava-jobs`: LAVA v2 jobs made from the suite's scenarios. Each job
carries its scenario's machine, CPU, RAM, core count and budget; its monitor
turns the console's stage lines into LAVA cases by the root task's output
grammar (roottask/README.md); LAVA's own dispatcher accepts every job
(`lava-run --validate`); wrong input gets one line and exit 2."""

import concurrent.futures
import os
import re
import shutil
import subprocess

import pytest

from bootcheck.boot import qemu_machine, scenario
from bootcheck.kernel import arch as arch_facts
from bootcheck.kernel import target
from bootcheck.lava import lava_jobs, lava_local, lava_results

from conftest import BUILD, ROOT, Artifacts
from lava_support import dispatcher, generated, job_files, load, require_lava_run

pytestmark = pytest.mark.unit


def lava_jobs_cli(*args):
    env = dict(os.environ, BUILD=BUILD)
    return subprocess.run(["/usr/bin/python3", "-m", "bootcheck.lava.lava_jobs", *args],
                          cwd=os.path.join(ROOT, "harness"), env=env, capture_output=True, text=True,
                          timeout=120)


# Lines in the root task's output grammar (roottask/README.md "Output
# format"), the loader's and the kernel's, with the case LAVA must make of each.
GRAMMAR = [
    ("loader: jumping to kernel at 0xffffff8040000000 (EL1)", ("loader", "pass")),
    ("loader: error: payload kernel.dtb is not a valid DTB", ("loader", "fail")),
    ("Booting all finished, dropped to user space", ("booting_all_finished", "pass")),
    ("roottask: check entry.x1_x30 ok", ("roottask_check_entry_x1_x30", "pass")),
    ("roottask: check dtb.magic FAILED: magic = 0x0, expected 0xd00dfeed", ("roottask_check_dtb_magic", "fail")),
    ("roottask: boot OK", ("roottask_boot", "pass")),
    ("roottask: boot FAILED: entry.x0: x0 (BootInfo VA) = 0x0", ("roottask_boot", "fail")),
    ("roottask: invocation failed: UntypedRetype(untyped=0x30) -> seL4_NotEnoughMemory",
     ("roottask_invocation", "fail")),
    ("roottask: system_init running, IPC OK", ("roottask_system_init_running_ipc", "pass")),
    ("roottask: components OK", ("roottask_components", "pass")),
    ("system_init: started", ("system_init", "pass")),
    # facts, and the loader's banner (the monitor's start), are no cases
    ("roottask: numNodes = 4", None),
    ("roottask: checks = 45 0", None),
    ("bootcheck loader: started at EL1, MIDR 0x410fd034", None),
    ("loader: RAM [0x40000000..0x80000000)", None),
]


@pytest.mark.parametrize("line,want", GRAMMAR, ids=[g[0][:40] for g in GRAMMAR])
def test_monitor_pattern_turns_stage_lines_into_cases(line, want):
    assert lava_jobs.case_of_line(line) == want


def test_every_console_scenario_becomes_a_job(tmp_path_factory):
    out, jobs, skipped = generated(tmp_path_factory)
    expected = set()
    loaded = {name[:-5]: scenario.load(os.path.join(lava_jobs.SCENARIO_DIR, name))
              for name in sorted(os.listdir(lava_jobs.SCENARIO_DIR)) if name.endswith(".toml")}
    declared = {d["arch"] for d in loaded.values() if d.get("arch")}
    for stem, data in loaded.items():
        if lava_jobs.lava_can_run(data) is not None:
            assert stem in dict(skipped), f"{stem} is neither a job nor listed as skipped"
            continue
        # a kernel the scenario names (by its flavour's name, or its file),
        # of the scenario's architecture
        expected |= {f"{stem}-{label}" for label, path in lava_jobs.known_kernels(BUILD).items()
                     if lava_jobs.scenario_fits(data, path, declared)
                     and (lava_jobs.scenario_kernel_name(label, path) in data["kernels"]
                          or lava_jobs.names_kernel_file(data, path, BUILD))}
    assert expected and set(jobs) == expected
    for name, job in jobs.items():
        job_file, device_file = job_files(out, name)
        assert os.path.isfile(device_file) and os.path.isfile(job.image)
        assert load(job_file) == job.definition


def test_one_job_per_given_kernel(tmp_path, monkeypatch):
    """Two kernels of one flavour each get their own jobs, named by their
    target description's id as the gdb scenarios name them; SEL4_SMP_KERNEL
    is an alias. The stand-in's release builds serve as the given kernels
    (their ids read as seL4's: sel4-13.0.0-el1, ...)."""
    standin = os.path.join(BUILD, "targets", "standin")
    k13, k16mcs, k16smp = (os.path.join(standin, f"kernel-{b}.elf")
                           for b in ("13.0.0", "16.0.0-mcs", "16.0.0-smp4"))
    monkeypatch.setenv("SEL4_KERNEL", f"{k13} {k16mcs} {k13}")      # the repeat counts once
    monkeypatch.setenv("SEL4_SMP_KERNEL", k16smp)
    known = lava_jobs.known_kernels(BUILD)
    assert {k: v for k, v in known.items() if k.startswith("sel4")} == {
        "sel4-13.0.0-el1": k13, "sel4-16.0.0-mcs-el1": k16mcs, "sel4-16.0.0-smp4": k16smp}
    jobs, _ = lava_jobs.generate(str(tmp_path / "out"), BUILD)
    real = {j.name: j for j in jobs if j.kernel_name.startswith("sel4")}
    assert sorted(real) == sorted(
        [f"{stem}-sel4-{k}" for stem in ("boot-el1", "spawn-system-init-entry")
         for k in ("13.0.0-el1", "16.0.0-mcs-el1")] + ["boot-smp-sel4-16.0.0-smp4"])
    for name, job in real.items():
        kernel = known[job.kernel_name]
        assert job.definition["metadata"]["bootcheck.kernel"] == job.kernel_name
        # the job's image carries that kernel (the payload's first member)
        with open(job.image, "rb") as img, open(kernel, "rb") as k:
            assert k.read()[:4096] in img.read(), name
        nodes = qemu_machine.kernel_nodes(kernel)
        assert job.definition["context"]["extra_options"] == ([f"-smp {nodes}"] if nodes > 1 else []), name


def test_job_follows_its_scenario_and_kernel(tmp_path_factory):
    out, jobs, _ = generated(tmp_path_factory)
    assert {target.read(lava_jobs.known_kernels(BUILD)[j.kernel_name]).arch for j in jobs.values()} == \
        {"aarch64", "riscv64"}, "the stand-in jobs are AArch64's and riscv64's"
    for name, job in jobs.items():
        data = scenario.load(os.path.join(lava_jobs.SCENARIO_DIR, job.scenario))
        kernel = lava_jobs.known_kernels(BUILD)[job.kernel_name]
        d = job.definition
        arch = target.read(kernel).arch
        nodes = qemu_machine.kernel_nodes(kernel)
        if arch == "aarch64":
            m = data.get("machine", {})
            machine, cpu, mem = m.get("machine", qemu_machine.machine_for(kernel)), m.get("cpu", "cortex-a53"), \
                m.get("mem", 1024)
            assert d["context"]["arch"] == "arm64" and "no_kvm" not in d["context"], name
            budget = data.get("budget", {}).get("seconds", 20)
        else:
            # the architecture's facts file, not the scenario's AArch64 machine
            facts = arch_facts.facts(arch)
            machine, cpu, mem = facts.machine, facts.cpu, facts.mem
            assert d["context"]["arch"] == arch and d["context"]["no_kvm"] is True, name
            budget = data.get("budget", {}).get("seconds", 20) * (nodes if data.get("arch") != arch else 1)
        assert d["context"]["machine"] == machine, name
        assert d["context"]["cpu"] == cpu and d["context"]["memory"] == mem, name
        assert d["context"]["extra_options"] == ([f"-smp {nodes}"] if nodes > 1 else []), name
        test = [a["test"] for a in d["actions"] if "test" in a][0]
        assert test["timeout"]["seconds"] == budget
        assert d["timeouts"]["job"]["seconds"] > budget + sum(
            a[k]["timeout"]["seconds"] for a in d["actions"] for k in a if k != "test")
        monitor = test["monitors"][0]
        for end in data["serial"]["end_on"]:
            assert re.search(monitor["end"], end), name
        # every serial line the scenario expects is a required case or a
        # console line the report checks: none is dropped
        for line in data["serial"]["expect"]:
            case = lava_jobs.case_of_line(line)
            assert (case and case[0] in job.required) or line in job.serial_lines, (name, line)
        # the device dictionary boots exactly what the context says
        device = load(job_files(out, name)[1])
        params = device["actions"]["boot"]["methods"]["qemu"]["parameters"]
        opts = params["options"]
        assert f"-machine {d['context']['machine']}" in opts and f"-m {d['context']['memory']}" in opts
        assert "-nic none" in opts and all(o in opts for o in d["context"]["extra_options"])
        assert params["command"] == arch_facts.facts(arch).qemu and device["available_architectures"] == \
            [d["context"]["arch"]], name
        assert ("-bios default" in opts) == (arch == "riscv64"), name
        # the monitor starts at this architecture's loader banner
        with open(job.image, "rb") as f:
            image = f.read()
        start = test["monitors"][0]["start"]
        banner = lava_jobs.LOADER_BANNERS[arch]
        assert re.fullmatch(start, banner) and banner.encode() in image, (name, start)
        assert d["actions"][0]["deploy"]["images"]["kernel"]["url"] == "file://" + job.image


def test_url_base_names_each_image(tmp_path_factory):
    _, jobs, _ = generated(tmp_path_factory, url_base="https://lava.example/bootcheck/")
    for job in jobs.values():
        url = job.definition["actions"][0]["deploy"]["images"]["kernel"]["url"]
        assert url == "https://lava.example/bootcheck/" + os.path.basename(job.image)


def test_kernel_and_roottask_pick_the_scenarios_of_their_flavour(tmp_path_factory):
    smp = os.path.join(BUILD, "targets", "standin", "kernel-smp4.elf")
    _, jobs, _ = generated(tmp_path_factory, kernel=smp, roottask=Artifacts.roottask)
    assert sorted(jobs) == ["boot-smp-kernel-smp4"]
    assert jobs["boot-smp-kernel-smp4"].definition["context"]["extra_options"] == ["-smp 4"]


@pytest.mark.slow
@pytest.mark.qemu
def test_lava_validates_every_generated_job(tmp_path_factory, tmp_path, request):
    require_lava_run()
    out, jobs, _ = generated(tmp_path_factory)
    from lava_common import schemas
    for name in jobs:
        # the schema a LAVA server checks a submitted job against, strict
        schemas.validate(load(job_files(out, name)[0]), strict=True)
    # lava-run --validate on every job at once: each is a process of its own
    # (its own job id and scratch directory), forked from the test process's
    # preloaded lava-run (lava_support.dispatcher), so Python and LAVA's
    # imports are not started again for each
    d = dispatcher(request)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda name: lava_local.run(*job_files(out, name), str(tmp_path), validate=True,
                                                         dispatcher=d), jobs))
    for r in runs:
        assert r.returncode == 0 and not r.leftovers, r.describe()
        assert not os.path.exists(r.scratch)
        with open(r.log) as f:
            assert '"case": "validate", "definition": "lava", "result": "pass"' in f.read(), r.describe()


@pytest.mark.parametrize("args,message", [
    (["--image", "/nonexistent/image.elf"], "lava-jobs: error: IMAGE=/nonexistent/image.elf does not exist"),
    (["--kernel", Artifacts.standin_kernel],
     "lava-jobs: error: give both KERNEL= and ROOTTASK= (or IMAGE=, or neither)"),
    (["--machine", "virt -s"], "lava-jobs: error: MACHINE='virt -s' cannot be expressed: LAVA's qemu method "
     "joins its options into one command line, so the machine must be one word (e.g. virt or "
     "virt,virtualization=on)"),
    (["--machine", "raspi3b"], "lava-jobs: error: MACHINE=raspi3b is not QEMU virt: bootcheck's loader and "
     "scenarios are written for the virt machine only"),
    (["--url-base", "ftp://host/images"],
     "lava-jobs: error: URL_BASE=ftp://host/images: not a file://, http:// or https:// URL"),
])
def test_wrong_input_gets_one_line(args, message, tmp_path):
    r = lava_jobs_cli("--out", str(tmp_path / "out"), *args)
    assert r.returncode == 2 and r.stderr.strip() == message, r.stderr + r.stdout


def test_a_hyp_kernel_on_an_el1_machine_is_refused(tmp_path):
    r = lava_jobs_cli("--out", str(tmp_path / "out"), "--kernel", Artifacts.probe_hyp,
                      "--roottask", Artifacts.roottask, "--machine", qemu_machine.VIRT)
    with pytest.raises(qemu_machine.MachineMismatch) as e:
        qemu_machine.check_agrees(Artifacts.probe_hyp, qemu_machine.VIRT)
    assert r.returncode == 2 and r.stderr.strip() == f"lava-jobs: error: MACHINE={qemu_machine.VIRT}: {e.value}"


def test_an_image_that_is_no_loader_is_refused(tmp_path):
    r = lava_jobs_cli("--out", str(tmp_path / "out"), "--image", Artifacts.virt_dtb)
    assert r.returncode == 2 and r.stderr.startswith(f"lava-jobs: error: IMAGE={Artifacts.virt_dtb}: "), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("args,message", [
    ([], "lava-submit: error: LAVA_URL=http(s)://host (with LAVA_USER= LAVA_TOKEN=) or LAVA_IDENTITY= is required"),
    (["LAVA_URL=ftp://lava.example"],
     "lava-submit: error: LAVA_URL=ftp://lava.example: not an http:// or https:// URL of a LAVA instance"),
    (["LAVA_URL=http://127.0.0.1:9", "LAVA_USER=me"], "lava-submit: error: give both LAVA_USER= and LAVA_TOKEN= "
     "(or neither, for anonymous access, or LAVA_IDENTITY= for a stored lavacli identity)"),
    # the discard port on loopback: nothing listens there
    (["LAVA_URL=http://127.0.0.1:9"],
     "lava-submit: error: LAVA instance http://127.0.0.1:9/RPC2 is unreachable: [Errno 111] Connection refused"),
])
def test_lava_submit_wrong_input_gets_one_line(args, message, tmp_path_factory):
    if shutil.which("lavacli") is None:
        pytest.skip("lavacli is not installed (`make deps` installs it)")
    out, _, _ = generated(tmp_path_factory)
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "lava-submit", f"OUT={out}", *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert r.stderr.splitlines()[0] == message, r.stderr


ECHOED_TWICE_LOG = """\
- {"dt": "2026-12-07T06:39:25.930260", "lvl": "target", "msg": "bootcheck loader: started at EL1"}
- {"dt": "2026-12-07T06:39:25.930394", "lvl": "target", "msg": "loader: error: payload kernel.dtb is not a valid DTB"}
- {"dt": "2026-12-07T06:39:25.938539", "lvl": "input", "msg": "poweroff\\n"}
- {"dt": "2026-12-07T06:39:26.039330", "lvl": "target", "msg": "poweroff"}
- {"dt": "2026-12-07T06:39:26.041895", "lvl": "target", "msg": "poweroff"}
"""


def test_an_input_echoed_twice_is_not_console_output(tmp_path):
    """The records of a run where LAVA's typed `poweroff` came back twice
    (2026-12-07, the CI run of this stop): the console stops at the loader's
    error, not at an echo. (Dropping one echo only, as before, left
    'poweroff' as the last console line and failed the loader test.)"""
    log = tmp_path / "job.log"
    log.write_text(ECHOED_TWICE_LOG)
    run = lava_results.read_log(str(log))
    assert run.serial == ["bootcheck loader: started at EL1",
                          "loader: error: payload kernel.dtb is not a valid DTB"]
