"""Set-up that must hold on a brand-new Debian 12, not only on a machine where
something was once installed by hand (.ci/pristine-check runs the README's
commands in such a root; these tests pin the decisions that make it pass):

- the freestanding loader sees no libc header, host or cross: only GCC's own
  freestanding headers, the project's, and libfdt's two API headers;
- every QEMU command line asks for exactly its devices (no default NIC, whose
  ROM comes from a package a minimal system lacks);
- no document names a path of the machine it was written on.
"""
import os
import re
import subprocess

import pytest

from bootcheck.boot import qemu_machine
from bootcheck.boot.qemu_machine import machine_argv
from bootcheck.pack import images

pytestmark = pytest.mark.unit
ROOT = images.ROOT


def _make(*args):
    return subprocess.run(["make", "-s", "--no-print-directory", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_loader_sees_no_libc_header():
    r = _make("loader-headers")
    assert r.returncode == 0, r.stderr
    headers = [h for h in r.stdout.split() if h]
    cross = subprocess.run(["aarch64-linux-gnu-gcc", "-print-file-name=include"],
                           capture_output=True, text=True, check=True).stdout.strip()
    allowed_gcc = {"stdint.h", "stdint-gcc.h", "stddef.h", "stdbool.h", "stdarg.h"}
    foreign = []
    for h in headers:
        path = os.path.normpath(h if os.path.isabs(h) else os.path.join(ROOT, h))
        if path.startswith(cross + os.sep):
            if os.path.basename(path) not in allowed_gcc:
                foreign.append(f"{h} (a GCC header beyond the freestanding set)")
        elif path.startswith(os.path.join(ROOT, "build", "deps") + os.sep):
            if os.path.basename(path) not in {"libfdt.h", "fdt.h"}:
                foreign.append(f"{h} (from the unpacked libfdt-dev:arm64; the project's "
                               "loader/arch/aarch64/include must provide it)")
        elif not path.startswith(ROOT + os.sep) or os.sep + "build" + os.sep in path[len(ROOT):]:
            foreign.append(h)
    assert len(headers) > 10, f"make loader-headers listed too little: {headers}"
    assert foreign == [], "the freestanding loader includes headers from outside the project: " \
        + ", ".join(foreign)
    # The libfdt environment is ours, not Debian's (which includes a libc's stdlib.h).
    assert "loader/arch/aarch64/include/libfdt_env.h" in headers


def test_the_kernel_decides_the_machine(artifacts):
    assert qemu_machine.machine_for(artifacts.probe_el1) == "virt"
    assert qemu_machine.machine_for(artifacts.probe_el1, from_el2=True) == "virt,virtualization=on"
    assert qemu_machine.machine_for(artifacts.probe_hyp) == "virt,virtualization=on"
    qemu_machine.check_agrees(artifacts.probe_el1, "virt,virtualization=on")
    with pytest.raises(qemu_machine.MachineMismatch) as e:
        qemu_machine.check_agrees(artifacts.probe_hyp, "virt")
    assert str(e.value) == (f"{artifacts.probe_hyp} is a hyp (EL2) kernel but -machine virt starts the CPU "
                            "at EL1; boot it under virt,virtualization=on (bootcheck.boot.qemu_machine.machine_for)")
    qemu_machine.check_agrees(artifacts.probe_hyp, "virt", deliberate="a refusal test")


@pytest.mark.qemu
def test_a_boot_on_the_wrong_machine_fails_its_test(artifacts, booter):
    """Every boot of the suite goes through booter.boot, which refuses a
    machine that cannot start its kernel unless the test gives a reason: a
    hyp seL4 can no longer be booted at EL1 by mistake."""
    image = booter.pack(artifacts.probe_hyp, artifacts.roottask)
    with pytest.raises(pytest.fail.Exception, match=r"is a hyp \(EL2\) kernel but -machine virt starts"):
        booter.boot(image, machine=qemu_machine.machine_at_el(1), timeout=5)
    assert booter.results == [], "the refused boot must not have started QEMU"


def test_no_machine_string_outside_qemu_machine():
    """The machine names live in bootcheck/boot/qemu_machine.py only."""
    offenders = _python_lines_matching(r"""["']virt(,virtualization=on)?["']""")
    assert offenders == [], "machine strings outside bootcheck/boot/qemu_machine.py:\n" + "\n".join(offenders)


def test_machine_argv_asks_for_no_default_nic():
    argv = machine_argv("virt,virtualization=on", "cortex-a57", 2048)
    assert argv[1:7] == ["-machine", "virt,virtualization=on", "-cpu", "cortex-a57", "-m", "2048"]
    i = argv.index("-nic")
    assert argv[i + 1] == "none"


def _python_lines_matching(pattern):
    """"file:line: text" of every harness Python line matching pattern,
    except in qemu_machine.py (where machines are decided) and this file."""
    found = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "harness")):
        for f in files:
            path = os.path.join(dirpath, f)
            if not f.endswith(".py") or path.endswith(
                    (os.path.join("bootcheck", "boot", "qemu_machine.py"), "test_setup.py")):
                continue
            with open(path) as fh:
                for n, line in enumerate(fh, 1):
                    if re.search(pattern, line):
                        found.append(f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()}")
    return found


def test_every_python_qemu_command_goes_through_machine_argv():
    """A QEMU argv built by hand would bring back QEMU's default devices."""
    offenders = _python_lines_matching(r'["\']-machine["\']')
    assert offenders == [], "QEMU command lines built outside bootcheck/boot/qemu_machine.py:\n" \
        + "\n".join(offenders)


def test_every_make_qemu_command_names_its_devices():
    offenders = []
    for dirpath, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in ("build", ".git", "reports")]
        for f in files:
            if not (f.endswith(".mk") or f == "Makefile"):
                continue
            path = os.path.join(dirpath, f)
            with open(path) as fh:
                text = fh.read().replace("\\\n", " ")
            for line in text.splitlines():
                if "$(QEMU) " in line and "-machine" in line and \
                        "$(QEMU_NO_DEFAULT_DEVICES)" not in line and "-nic none" not in line:
                    offenders.append(f"{os.path.relpath(path, ROOT)}: {line.strip()}")
    assert offenders == [], "QEMU started from make without -nic none:\n" + "\n".join(offenders)


MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home|root|srv|mnt)/[\w.-]+")


def test_documents_name_no_path_of_the_writers_machine():
    found = []
    for dirpath, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in ("build", ".git", "reports")]
        for f in files:
            if f.endswith(".md"):
                path = os.path.join(dirpath, f)
                with open(path) as fh:
                    for n, line in enumerate(fh, 1):
                        for m in MACHINE_PATH.finditer(line):
                            found.append(f"{os.path.relpath(path, ROOT)}:{n}: {m.group(0)}")
    assert found == [], "documents name paths of one machine:\n" + "\n".join(found)


def test_the_loader_reaches_into_no_other_room():
    """loader/ is the lowest floor: the stand-in, the harness and the test
    loaders use its shared code, never the other way round."""
    offenders = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "loader")):
        for f in files:
            if not f.endswith((".c", ".h", ".S", ".inc")):
                continue
            path = os.path.join(dirpath, f)
            with open(path) as fh:
                for n, line in enumerate(fh, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if m:
                        target = os.path.normpath(os.path.join(dirpath, m.group(1)))
                        if not target.startswith(os.path.join(ROOT, "loader") + os.sep) and \
                                os.path.exists(target):
                            offenders.append(f"{os.path.relpath(path, ROOT)}:{n}: {m.group(1)}")
    assert offenders == [], "loader/ includes files of other rooms:\n" + "\n".join(offenders)


def _make_question(build, *flags):
    """make -q in the repository with BUILD=build: make's parse (where the
    flags stamp is judged) and no recipe."""
    return subprocess.run(["make", "-q", "--no-print-directory", f"BUILD={build}", *flags, "all"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_a_build_made_with_other_flags_is_rebuilt_but_its_deps_are_kept(tmp_path):
    """make tracks times, not flags: a build whose flags stamp differs from
    today's flag definitions is removed at parse time, but for what make deps
    fetched, a running run cache and a LAVA instance; a new build folder
    gets its stamp at once; make -n changes nothing."""
    build = tmp_path / "build"
    for kept in ("deps/arm64/x", "run-cache/r/x", "lava-instance/x"):
        (build / kept).parent.mkdir(parents=True)
        (build / kept).write_text("kept")
    (build / "loader" / "obj").mkdir(parents=True)
    (build / "loader" / "obj" / "old.o").write_text("made with other flags")
    (build / "flags.stamp").write_text("TARGET_CFLAGS=-O0;\n")

    r = _make_question(build, "-n")
    assert (build / "loader" / "obj" / "old.o").exists(), "make -n removed a build"
    r = _make_question(build)
    assert f"make: the target builds' flags are not those {build} was built with: rebuilding it" in r.stdout
    assert not (build / "loader").exists()
    assert sorted(p.name for p in build.iterdir()) == ["deps", "flags.stamp", "lava-instance", "run-cache"]
    stamp = (build / "flags.stamp").read_text()
    assert "REPRO_CFLAGS=-ffile-prefix-map=$(CURDIR)=.;" in stamp and "TARGET_CFLAGS=$(REPRO_CFLAGS) " in stamp

    # The same flags: nothing removed, nothing said.
    (build / "loader").mkdir()
    r = _make_question(build)
    assert (build / "loader").exists() and "rebuilding" not in r.stdout

    # A new build folder: stamped by its first make, so the second keeps it.
    fresh = tmp_path / "fresh"
    _make_question(fresh)
    assert (fresh / "flags.stamp").read_text() == stamp
