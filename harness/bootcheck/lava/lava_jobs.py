"""LAVA v2 job definitions (and a device dictionary to run them here) made
from the suite's own scenarios (scenarios/*.toml): one job per scenario and
given kernel of a flavour it is written for that LAVA can run, i.e. whose judgement is on the serial
console (LAVA cannot stop the CPU at a breakpoint or write a register, so a
scenario that corrupts the hand-off with `set` stays gdb-only, as does one
whose product is gdb's diagnosis of an unreached stop).

A job deploys the loader image `to: tmpfs` as QEMU's `-kernel`, boots it
with `method: qemu` and watches the console with one `monitors:` entry whose
pattern turns every stage line (roottask/README.md "Output format") into a
LAVA test case; `case_of_line` applies the same pattern here, so the cases a
scenario requires are derived from its `serial.expect` lines, never listed
twice. The machine, CPU, RAM and core count come from the scenario and the
kernel (bootcheck.boot.qemu_machine) and go into the job's `context` (the names
LAVA's qemu device type reads) and into the device dictionary for a local
`lava-run`.

A riscv64 kernel (its ELF's e_machine) gets the same console scenarios: their
lines are the root task's and the kernel's on either architecture. Its
machine, CPU, RAM and firmware are riscv64's facts
(loader/arch/riscv64/machine.mk: virt, rv64, 3 GiB, OpenSBI by -bios
default), not the scenario's AArch64 [machine]; its image is packed with
bootcheck's riscv64 root task and no DTB (the loader takes QEMU's from
OpenSBI), and its job's context says `arch: riscv64`, which LAVA's qemu
device type turns into qemu-system-riscv64.

    python3 -m bootcheck.lava.lava_jobs --out DIR [--image IMG | --kernel K --roottask R] [--machine M]
                                   [--url-base URL]   (make lava-jobs)
"""

import argparse
import filecmp
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field

import yaml

from ..boot import qemu, qemu_machine, scenario
from ..kernel import arch as arch_facts
from ..kernel import target
from ..pack import images
from ..pack.images import ROOT

SCENARIO_DIR = os.path.join(ROOT, "scenarios")

# One monitor pattern for every stage line. LAVA's monitor takes a case
# name from `test_case_id` (lower-cased, non-word runs turned into "_") and
# its verdict from `result` through `fixupdict`, and Python's re allows each
# group name once, so each stage line is split into a subject (the case) and
# the word that says how it went.
STAGES = (
    # (subject regex, verdict words -> LAVA result, what the stage is)
    (r"loader", {"jumping": "pass", "error": "fail"},
     "the loader's hand-off: `loader: jumping to kernel` or `loader: error: ...`"),
    (r"Booting all finished", {"dropped": "pass"},
     "seL4 (or the stand-in) finished init_kernel and dropped to user space"),
    (r"roottask: check \S+", {"ok": "pass", "FAILED": "fail"},
     "one check of the root task (roottask/README.md, Checks)"),
    (r"roottask: boot", {"OK": "pass", "FAILED": "fail"},
     "the root task's summary: every check passed"),
    (r"roottask: invocation", {"failed": "fail"},
     "a spawn invocation seL4 refused"),
    (r"roottask: \w+ running, IPC", {"OK": "pass"},
     "a spawned component sent its hello message over IPC"),
    (r"roottask: components", {"OK": "pass"},
     "every spawned component reported"),
    (r"system_init", {"started": "pass"},
     "the first component runs in its own VSpace"),
)
FIXUP = {word: result for _, words, _ in STAGES for word, result in words.items()}
# A subject counts only at the start of a line (after a newline, or where
# the console buffer starts), so "bootcheck loader: started" is not a case.
MONITOR_PATTERN = (r"(?<![^\n])(?P<test_case_id>" + "|".join(s for s, _, _ in STAGES) + r")[:,]? "
                   r"(?P<result>" + "|".join(sorted(FIXUP, key=lambda w: (-len(w), w))) + r")\b")
OUR_LOADER_BANNER = "bootcheck loader: started"
# Where a job of our loader starts watching: its banner on each architecture.
LOADER_BANNERS = {"aarch64": OUR_LOADER_BANNER, "riscv64": "bootcheck loader (riscv64): started"}
# LAVA's name of each architecture (the job context's `arch`, the device's
# available_architectures): its qemu device type runs qemu-system-<arch>,
# with arm64 meaning aarch64.
LAVA_ARCH = {"aarch64": "arm64", "riscv64": "riscv64"}
LOADER_HANDOFF_LINE = "loader: jumping to kernel"
KERNEL_DONE_LINE = "Booting all finished, dropped to user space"
# What every kernel prints first (seL4 and the stand-in): where a foreign
# loader's job starts watching, since its own banner is unknown.
KERNEL_BANNER = "Bootstrapping kernel"
SUITE = "bootcheck"           # the monitor's name = the LAVA test suite of the cases

# Kernel names the scenarios use -> (hyp, SMP), as in the gdb scenario runner.
FLAVOURS = {"standin": (False, False), "standin-smp4": (False, True), "sel4": (False, False),
            "sel4-hyp": (True, False), "sel4-smp4": (False, True)}
# The stand-in builds that get jobs (job label -> build/targets/standin/...)
# and the scenarios' name for each.
STANDIN_BUILDS = {"standin": ("kernel.elf", "standin"), "standin-smp4": ("kernel-smp4.elf", "standin-smp4"),
                  "standin-riscv64": ("riscv64/kernel.elf", "standin"),
                  "standin-riscv64-16.0.0": ("riscv64/kernel-16.0.0.elf", "standin"),
                  "standin-riscv64-smp4": ("riscv64/kernel-smp4.elf", "standin-smp4")}
# What LAVA's qemu method puts around a boot, on top of the scenario's budget:
# downloading the image (a local file, or an http(s) fetch) and QEMU's start.
DEPLOY_SECONDS = 60
BOOT_SECONDS = 30
JOB_MARGIN_SECONDS = 30


class LavaJobError(Exception):
    """Wrong input: one line naming what is wrong."""


def regex_literal(text):
    """text as a regex matching itself (LAVA's monitor start is a regex),
    spaces left as they are, unlike re.escape."""
    return re.sub(r"([\\.^$*+?{}\[\]|()])", r"\\\1", text)


def case_name(subject):
    """LAVA's own case-id rule for a monitor match (lava_dispatcher's
    TestMonitorAction): strip, lower-case, every non-word run becomes '_'."""
    return re.sub(r"\W+", "_", subject.strip().lower())


def case_of_line(line):
    """(case, result) that the job's monitor makes of one console line, or None."""
    m = re.search(MONITOR_PATTERN, line)
    if m is None:
        return None
    return case_name(m.group("test_case_id")), FIXUP[m.group("result")]


@dataclass
class Job:
    name: str
    scenario: str
    kernel_name: str
    image: str
    definition: dict
    device: dict
    required: list = field(default_factory=list)        # case names that must pass
    serial_lines: list = field(default_factory=list)    # expected lines no case covers
    forbid: list = field(default_factory=list)


def lava_can_run(data):
    """None if LAVA can judge this scenario from the console, else why not."""
    written_for = scenario.arches("", data)
    if not any(a in LAVA_ARCH for a in written_for):
        return (f"it is written for {' and '.join(written_for)}; LAVA jobs are made for "
                f"{' and '.join(sorted(LAVA_ARCH))}")
    if any(isinstance(s, dict) and s.get("set") for s in data.get("stops", [])):
        return "it corrupts the hand-off from gdb (`set`), which LAVA cannot do"
    if data.get("outcome"):
        return "its product is gdb's diagnosis of an unreached stop"
    if not data.get("serial", {}).get("end_on"):
        return "it names no serial.end_on line to end the job on"
    return None


def check_machine(machine, kernel):
    """Refuses a MACHINE that LAVA's qemu method cannot express for this kernel."""
    check_machine_form(machine)
    try:
        qemu_machine.check_agrees(kernel, machine)
    except qemu_machine.MachineMismatch as e:
        raise LavaJobError(f"MACHINE={machine}: {e}") from None


def check_machine_form(machine):
    """Refuses a MACHINE that LAVA's qemu method cannot express for any kernel."""
    if not machine or re.search(r"[\s'\"\\]", machine):
        raise LavaJobError(f"MACHINE={machine!r} cannot be expressed: LAVA's qemu method joins its "
                           "options into one command line, so the machine must be one word "
                           "(e.g. virt or virt,virtualization=on)")
    if not qemu_machine.is_virt(machine):
        raise LavaJobError(f"MACHINE={machine} is not QEMU virt: bootcheck's loader and scenarios "
                           "are written for the virt machine only")


def kernel_flavour(kernel):
    t = target.read(kernel)
    return t.hyp, t.smp


# The scenarios' name for a real seL4 of each flavour (hyp, SMP).
SEL4_FLAVOUR_NAMES = {flavour: name for name, flavour in FLAVOURS.items() if name.startswith("sel4")}


def known_kernels(build):
    """Job label -> kernel path, for those present on this machine: the
    stand-in builds (STANDIN_BUILDS: AArch64's EL1 and SMP ones, riscv64's),
    and every real seL4 in SEL4_KERNEL (and SEL4_SMP_KERNEL, its alias) of a
    flavour some scenario is written for, AArch64 or riscv64, labelled with
    its target description's id (sel4-16.0.0-mcs-el1, sel4-16.0.0-rv64; a
    second kernel with the same id gets -2, -3...), as the gdb scenarios
    name them."""
    out = {label: os.path.join(build, "targets", "standin", rel) for label, (rel, _) in STANDIN_BUILDS.items()}
    out = {k: v for k, v in out.items() if os.path.isfile(v)}
    paths = os.environ.get("SEL4_KERNEL", "").split() + os.environ.get("SEL4_SMP_KERNEL", "").split()
    seen, given = {}, set()
    for path in paths:
        path = os.path.abspath(path)
        if path in given or not os.path.isfile(path) or kernel_flavour(path) not in SEL4_FLAVOUR_NAMES:
            continue
        given.add(path)
        fid = target.read(path).id()
        seen[fid] = seen.get(fid, 0) + 1
        out[fid if seen[fid] == 1 else f"{fid}-{seen[fid]}"] = path
    return out


def scenario_kernel_name(label, path):
    """The name scenarios give the kernel of a known_kernels label: the
    stand-in build's own, or its flavour's (sel4, sel4-hyp, sel4-smp4)."""
    if label in STANDIN_BUILDS:
        return STANDIN_BUILDS[label][1]
    return SEL4_FLAVOUR_NAMES.get(kernel_flavour(path))


def kernel_arch(kernel):
    return target.read(kernel).arch


def roottask_for(build, kernel):
    """bootcheck's root task for the kernel's architecture."""
    arch = kernel_arch(kernel)
    return os.path.join(build, "roottask", *([] if arch == "aarch64" else [arch]), "roottask.elf")


def machine_of(data, kernel):
    """(machine or None, cpu, RAM MiB) a scenario's job runs on: the
    scenario's [machine] for AArch64, the architecture's facts otherwise
    (the scenarios' machines are AArch64's)."""
    arch = kernel_arch(kernel)
    if arch == "aarch64":
        m = data.get("machine", {})
        return m.get("machine"), m.get("cpu", "cortex-a53"), m.get("mem", 1024)
    facts = arch_facts.facts(arch)
    return facts.machine, facts.cpu, facts.mem


def _timeout(seconds):
    return {"seconds": int(seconds)}


def device_dictionary(context, arch="aarch64"):
    """The device dictionary lava-run needs for a qemu device on this machine,
    with the QEMU options LAVA's qemu device type renders from the job's
    context (arch, machine, cpu, memory, extra_options)."""
    argv = qemu.console_argv(context["machine"], context["cpu"], context["memory"], context["smp"], arch)
    options = _option_words(argv)
    return {
        "available_architectures": [LAVA_ARCH[arch]],
        "constants": {
            # what lava_dispatcher asks every device for, even without a shell
            "failure_retry": 1, "boot_retry": 1, "spawn_maxread": 4092,
            "kernel-start-message": "", "default-shell-prompt": "lava-test: # ",
            "shutdown-message": "halting...",
            "posix": {"lava_test_results_dir": "/lava-%s", "lava_test_sh_cmd": "/bin/sh",
                      "lava_test_shell_file": "~/.bashrc"},
        },
        "actions": {"deploy": {"methods": {"image": {}}},
                    "boot": {"methods": {"qemu": {"parameters": {"command": argv[0],
                                                                 "options": options}}}}},
        "timeouts": {"actions": {}, "connections": {}},
    }


SERVER_DEVICE = "bootcheck-qemu.jinja2"


def server_device_dictionary():
    """A device dictionary for a LAVA instance's qemu device: LAVA's own
    qemu.jinja2 with its QEMU options replaced by the suite's (no NIC, so no
    NIC ROM package on the worker; serial on stdio), the machine, CPU, RAM
    and -smp still taken from each job's context."""
    lines = ["{% extends 'qemu.jinja2' %}",
             "{# bootcheck (make lava-jobs): QEMU as every boot of the suite runs it #}",
             "{% block qemu_options %}"]
    for i, arch in enumerate(sorted(LAVA_ARCH, key=lambda a: a != "riscv64")):
        # riscv64's options (with its firmware) for arch riscv64, AArch64's otherwise
        facts = arch_facts.facts(arch)
        argv = qemu.console_argv("{{ machine|default('%s') }}" % facts.machine,
                                 "{{ cpu|default('%s') }}" % facts.cpu, "{{ memory|default(%d) }}" % facts.mem,
                                 arch=arch)
        lines += [f"{{% if arch == '{LAVA_ARCH[arch]}' %}}" if i == 0 else "{% else %}"]
        lines += [f"          - {o}" for o in _option_words(argv)]
    lines += ["{% endif %}", "{% if extra_options %}", "          extra: {{ extra_options }}", "{% endif %}",
              "{% endblock qemu_options %}"]
    return "\n".join(lines) + "\n"


def _option_words(argv):
    """QEMU's argv after the program as LAVA lists options: "-opt value" together."""
    options, i = [], 1
    while i < len(argv):
        if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            options.append(f"{argv[i]} {argv[i + 1]}")
            i += 2
        else:
            options.append(argv[i])
            i += 1
    return options


def make_job(name, scenario_path, data, kernel_name, kernel, image, url, machine, own_loader,
             own_roottask):
    """One LAVA job for one scenario on one packed (or foreign) image."""
    arch = kernel_arch(kernel)
    _, cpu, mem = machine_of(data, kernel)
    smp = target.read(kernel).nodes
    context = {"arch": LAVA_ARCH[arch], "machine": machine, "cpu": cpu, "memory": mem, "smp": smp,
               "extra_options": [f"-smp {smp}"] if smp > 1 else []}
    if arch != "aarch64":
        # LAVA's own qemu device type would add -enable-kvm for it
        context["no_kvm"] = True
    budget = job_budget(data, kernel)
    serial = data.get("serial", {})
    ours = ("roottask:", "system_init:")
    expect = [l for l in serial.get("expect", []) if isinstance(l, str)
              and (own_roottask or not l.startswith(ours))]
    required = [case_of_line(LOADER_HANDOFF_LINE)[0]] if own_loader else []
    lines = []
    for line in expect:
        case = case_of_line(line)
        if case is not None and case[1] == "pass":
            required.append(case[0])
        else:
            lines.append(line)       # a fact line (e.g. numNodes = 4): judged from the log
    for line in serial["end_on"]:
        case = case_of_line(line)
        if case is not None and case[0] in required:
            # LAVA ends the monitor there (on a tie the end wins), so that
            # case never comes: the line is judged from the console instead
            required.remove(case[0])
            lines.append(line)
    end = "|".join(re.escape(l) for l in serial["end_on"])
    if not own_roottask:
        # Another root task need not halt (seL4's `halting...` comes from
        # our root task's DebugHalt): the job ends, and its monitor passes,
        # once the kernel has dropped to user space. The end is the line's
        # first words only: the case pattern must never match where the end
        # does (on a tie LAVA takes the end), and LAVA may stop reading there.
        end = re.escape(KERNEL_DONE_LINE.split(",")[0])
        required = [c for c in required if c != case_of_line(KERNEL_DONE_LINE)[0]]
        lines = [l for l in lines if l != KERNEL_DONE_LINE]
    definition = {
        "job_name": f"bootcheck {name}",
        "device_type": "qemu",
        "visibility": "public",
        "priority": "medium",
        "timeouts": {"job": _timeout(DEPLOY_SECONDS + BOOT_SECONDS + budget + JOB_MARGIN_SECONDS),
                     "action": _timeout(budget + BOOT_SECONDS)},
        "context": {k: v for k, v in context.items() if k != "smp"},
        "metadata": {"bootcheck.boot.scenario": os.path.basename(scenario_path),
                     "bootcheck.kernel": kernel_name,
                     "bootcheck.required_cases": " ".join(required),
                     "bootcheck.serial_expect": json.dumps(lines),
                     "bootcheck.serial_forbid": json.dumps(serial.get("forbid", []))},
        "actions": [
            {"deploy": {"to": "tmpfs", "timeout": _timeout(DEPLOY_SECONDS),
                        "images": {"kernel": {"url": url, "image_arg": "-kernel {kernel}"}}}},
            {"boot": {"method": "qemu", "media": "tmpfs", "timeout": _timeout(BOOT_SECONDS)}},
            {"test": {"timeout": _timeout(budget), "monitors": [{
                "name": SUITE,
                # a regex to LAVA: riscv64's banner has parentheses
                "start": regex_literal(LOADER_BANNERS[arch] if own_loader else KERNEL_BANNER),
                "end": end,
                "pattern": MONITOR_PATTERN,
                "fixupdict": FIXUP}]}},
        ],
    }
    return Job(name=name, scenario=os.path.basename(scenario_path), kernel_name=kernel_name,
               image=image, definition=definition, device=device_dictionary(context, arch),
               required=required, serial_lines=lines, forbid=list(serial.get("forbid", [])))


def job_budget(data, kernel):
    """The test action's seconds: the scenario's budget; an AArch64
    scenario's on riscv64 per core, as an SMP riscv64 seL4 boots slowly
    under QEMU (every map is an SBI remote fence that waits for each other
    hart)."""
    budget = data.get("budget", {}).get("seconds", 20)
    if kernel_arch(kernel) == "riscv64" and data.get("arch") != "riscv64":
        budget *= target.read(kernel).nodes
    return budget


def image_url(image, url_base):
    if not url_base:
        return "file://" + os.path.abspath(image)
    if not re.match(r"^(https?|file)://", url_base):
        raise LavaJobError(f"URL_BASE={url_base}: not a file://, http:// or https:// URL")
    return url_base.rstrip("/") + "/" + os.path.basename(image)


def scenarios():
    """(path, data, why-not) for every scenario file."""
    out = []
    for name in sorted(os.listdir(SCENARIO_DIR)):
        if name.endswith(".toml"):
            path = os.path.join(SCENARIO_DIR, name)
            data = scenario.load(path)
            out.append((path, data, lava_can_run(data)))
    return out


def _fixture_dtbs(build):
    return {"virt-1g": os.path.join(build, "fixtures", "virt-1g.dtb")}


def generate(out, build, image=None, kernel=None, roottask=None, dtb=None, machine=None,
             url_base=None):
    """Writes OUT/jobs/*.yaml, OUT/devices/*.yaml, OUT/images/*.elf and
    OUT/index.json; returns (jobs, skipped: [(what, why)])."""
    if image is not None and not os.path.isfile(image):
        raise LavaJobError(f"IMAGE={image} does not exist")
    for what, path in (("KERNEL", kernel), ("ROOTTASK", roottask), ("DTB", dtb)):
        if path is not None and not os.path.isfile(path):
            raise LavaJobError(f"{what}={path} does not exist")
    if image is None and (kernel is None) != (roottask is None):
        raise LavaJobError("give both KERNEL= and ROOTTASK= (or IMAGE=, or neither)")
    # what needs no kernel is refused before any image is packed
    if machine is not None:
        check_machine_form(machine)
    image_url("image.elf", url_base)
    image_dir = os.path.join(out, "images")
    os.makedirs(image_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lava-jobs-") as work:
        jobs, skipped = _generate(build, image, kernel, roottask, dtb, machine, url_base,
                                  image_dir, work)
    write(out, jobs, skipped)
    return jobs, skipped


def _candidates(build, image, kernel, roottask, dtb, work):
    """({label: (kernel path, flavour, the scenarios' name for it or None)},
    own loader?, own root task?)"""
    if image is not None:
        # here only: the payload finder brings the contract checker and
        # pyelftools (half a CPU-second to import), which nothing else here
        # (nor make lava-report, which imports this module) needs
        from ..check import checkrun
        try:
            found = checkrun.find_payload(image, kernel, roottask, dtb, work)
        except checkrun.CheckError as e:
            raise LavaJobError(f"IMAGE={image}: {e}") from None
        with open(found[1], "rb") as a, open(roottask_for(build, found[0]), "rb") as b:
            own_roottask = a.read() == b.read()
        return {"image": (found[0], kernel_flavour(found[0]), None)}, found[3] == "pack", own_roottask
    if kernel is not None:
        return ({os.path.splitext(os.path.basename(kernel))[0]: (kernel, kernel_flavour(kernel), None)},
                True, True)
    return {k: (p, kernel_flavour(p), scenario_kernel_name(k, p)) for k, p in known_kernels(build).items()}, \
        True, True


def scenario_fits(data, kernel, declared):
    """Whether a scenario is for this kernel's architecture: one that names
    an `arch` is for that one only; one that names none (the AArch64
    scenarios, whose console lines hold on every architecture) is for
    AArch64, and for another architecture while no scenario names it."""
    arch, named = kernel_arch(kernel), data.get("arch")
    if named is not None:
        return named == arch
    return arch == "aarch64" or arch not in declared


def names_kernel_file(data, kernel, build):
    """Whether the scenario's kernels list this kernel by path (ROOT- or
    build-relative, `build/...`), by its contents (a stand-in's kernel.elf
    is a copy of one release's build)."""
    for entry in data["kernels"]:
        if "/" not in entry:
            continue
        p = os.path.join(build, entry[len("build/"):]) if entry.startswith("build/") else os.path.join(ROOT, entry)
        if os.path.isfile(p) and filecmp.cmp(p, kernel, shallow=False):
            return True
    return False


def _generate(build, image, kernel, roottask, dtb, machine, url_base, image_dir, work):
    candidates, own_loader, own_roottask = _candidates(build, image, kernel, roottask, dtb, work)
    jobs, skipped = [], []
    found = scenarios()
    declared = {d["arch"] for _, d, _ in found if d.get("arch")}
    for path, data, why_not in found:
        stem = os.path.splitext(os.path.basename(path))[0]
        if why_not:
            skipped.append((stem, why_not))
            continue
        wanted = {FLAVOURS.get(k) for k in data["kernels"]}
        for label, (kpath, flavour, sname) in candidates.items():
            if not scenario_fits(data, kpath, declared):
                continue
            by_file = names_kernel_file(data, kpath, build)
            if image is None and kernel is None and sname not in data["kernels"] and not by_file:
                continue
            if flavour not in wanted and not by_file:
                continue
            if data.get("roottask_specific") and not own_roottask:
                skipped.append((f"{stem}-{label}", "it follows bootcheck's own root task; IMAGE carries another"))
                continue
            mach = machine or machine_of(data, kpath)[0] or qemu_machine.machine_for(kpath)
            check_machine(mach, kpath)
            name = f"{stem}-{label}"
            if image is not None:
                img = image
            else:
                rt = roottask or roottask_for(build, kpath)
                d = dtb
                if d is None and kernel is None and kernel_arch(kpath) == "aarch64" and sname in data["kernels"]:
                    # (riscv64: none; the loader takes QEMU's, from OpenSBI)
                    d = scenario.resolve_inputs(path, data, data["kernels"].index(sname),
                                                {sname: kpath}, ROOT, build, _fixture_dtbs(build))[2]
                img = os.path.join(image_dir, f"{name}.elf")
                r = images.pack(kpath, rt, img, dtb=d, mem=machine_of(data, kpath)[2])
                if r.returncode != 0:
                    raise LavaJobError(f"packing {name} failed: " +
                                       (r.output.strip().splitlines() or ["?"])[-1])
            jobs.append(make_job(name, path, data, label, kpath, img, image_url(img, url_base), mach,
                                 own_loader, own_roottask))
    if not jobs:
        raise LavaJobError("no scenario can run on LAVA with these kernels: " +
                           ", ".join(f"{k} ({'hyp' if f[0] else 'EL1'}{', SMP' if f[1] else ''})"
                                     for k, (_, f, _) in candidates.items()))
    return jobs, skipped


def write(out, jobs, skipped):
    for sub in ("jobs", "devices"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    index = {"jobs": [], "skipped": [{"what": w, "why": y} for w, y in skipped]}
    for j in jobs:
        job_path = os.path.join(out, "jobs", f"{j.name}.yaml")
        dev_path = os.path.join(out, "devices", f"{j.name}.yaml")
        with open(job_path, "w") as f:
            f.write(f"# {j.name}: generated by `make lava-jobs` from scenarios/{j.scenario}\n")
            yaml.safe_dump(j.definition, f, sort_keys=False, width=1000)
        with open(dev_path, "w") as f:
            f.write(f"# device dictionary for running {j.name} with lava-run on this machine\n")
            yaml.safe_dump(j.device, f, sort_keys=False, width=1000)
        index["jobs"].append({"name": j.name, "job": job_path, "device": dev_path, "image": j.image,
                              "scenario": j.scenario, "kernel": j.kernel_name,
                              "required": j.required, "serial_expect": j.serial_lines,
                              "serial_forbid": j.forbid})
    with open(os.path.join(out, "devices", SERVER_DEVICE), "w") as f:
        f.write(server_device_dictionary())
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


def main(argv=None):
    p = argparse.ArgumentParser(prog="lava-jobs", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--build", default=os.environ.get("BUILD", os.path.join(ROOT, "build")))
    p.add_argument("--image")
    p.add_argument("--kernel")
    p.add_argument("--roottask")
    p.add_argument("--dtb")
    p.add_argument("--machine")
    p.add_argument("--url-base")
    a = p.parse_args(argv)
    try:
        jobs, skipped = generate(a.out, a.build, a.image or None, a.kernel or None, a.roottask or None,
                                 a.dtb or None, a.machine or None, a.url_base or None)
    except (LavaJobError, scenario.ScenarioError) as e:
        print(f"lava-jobs: error: {e}", file=sys.stderr)
        return 2
    for j in jobs:
        c = j.definition["context"]
        print(f"lava-jobs: {os.path.join(a.out, 'jobs', j.name + '.yaml')}: required cases "
              f"{', '.join(j.required)}; -machine {c['machine']} -cpu {c['cpu']} -m {c['memory']}"
              + "".join(f" {o}" for o in c["extra_options"]))
    for what, why in skipped:
        print(f"lava-jobs: no job for {what}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
