"""The suite packs images by running the command `make image` (or `make
emu-mutant-image`) would run, asked of make once (bootcheck.pack.packcmd), not
make itself. Here both ways pack the same inputs: the images are the same
bytes and the pack step says the same lines, for good inputs and refused
ones; and the values make would not paste unchanged go through make."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from bootcheck.pack import images, packcmd

from conftest import BUILD, ROOT, Artifacts

PROBE_DATA = "probe_data_pattern"     # a kernel variable of the wrong size for the record
FIXTURES = os.path.join(BUILD, "fixtures")
LINUX_IMAGE = os.path.join(BUILD, "deps", "linux", "Image")
INITRAMFS = os.path.join(BUILD, "fixtures", "linux_init", "initramfs.cpio")


def through_make(target_args, out):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, *target_args, f"OUT={out}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)


def directly(target_args, out):
    steps = packcmd.command(target_args, str(out), dict(os.environ), ROOT, BUILD)
    assert steps, f"packcmd gave no command for {target_args}"
    output = ""
    for argv, env in steps:
        assert "make" not in os.path.basename(argv[0])
        p = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120)
        output += p.stdout
        if p.returncode != 0:
            break
    return p.returncode, output


def image_args(kernel=Artifacts.standin_kernel, roottask=Artifacts.roottask, dtb="", mem=1024,
               override="", record=""):
    return ["image", f"KERNEL={kernel}", f"ROOTTASK={roottask}", f"MEM={mem}", f"DTB={dtb}",
            f"OVERRIDE={override}", f"HANDOFF_RECORD={record}"]


def _override(tmp_path):
    return images.write_override(tmp_path / "override", x4=0x40230000)


GOOD = {
    "standin": lambda t: image_args(),
    "dtb-override-mem": lambda t: image_args(dtb=os.path.join(FIXTURES, "virt-1g-2m.dtb"), mem=2048,
                                             override=_override(t)),
    "record": lambda t: image_args(kernel=Artifacts.probe_record_el1, record=Artifacts.probe_record_symbol),
    "smp": lambda t: image_args(kernel=os.path.join(BUILD, "targets", "standin", "kernel-smp4.elf")),
    "mutant": lambda t: ["emu-mutant-image", "MUTANT=skip_bss_zero", f"KERNEL={Artifacts.standin_kernel}",
                         f"ROOTTASK={Artifacts.roottask}", "DTB=", "HANDOFF_RECORD="],
    "linux": lambda t: ["image", f"KERNEL={LINUX_IMAGE}", f"INITRD={INITRAMFS}",
                        "BOOTARGS=console=ttyAMA0 rdinit=/init", "DTB=", "ROOTTASK="],
}


@pytest.mark.parametrize("case", sorted(GOOD))
def test_same_image_and_lines_as_make(case, tmp_path):
    if case == "linux" and not os.path.isfile(LINUX_IMAGE):
        pytest.skip(f"no Linux Image at {LINUX_IMAGE} (make linux-image)")
    args = GOOD[case](tmp_path)
    made = through_make(args, tmp_path / "make.elf")
    assert made.returncode == 0, made.stdout
    code, output = directly(args, tmp_path / "direct.elf")
    assert code == 0, output
    assert output.replace(str(tmp_path / "direct.elf"), "OUT") == \
        made.stdout.replace(str(tmp_path / "make.elf"), "OUT")
    with open(tmp_path / "make.elf", "rb") as a, open(tmp_path / "direct.elf", "rb") as b:
        assert a.read() == b.read(), f"{case}: the images differ"


REFUSED = {
    "record-wrong-size": lambda t: image_args(kernel=Artifacts.probe_record_el1, record=PROBE_DATA),
    "dtb-not-a-dtb": lambda t: image_args(dtb=Artifacts.roottask),
    "no-kernel": lambda t: image_args(kernel=""),
    "out-is-a-directory": lambda t: image_args(),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_same_refusal_as_make(case, tmp_path):
    """make adds only its own last line (and exits 2 where the step exits 1)."""
    args = REFUSED[case](tmp_path)
    out = tmp_path if case == "out-is-a-directory" else tmp_path / "image.elf"
    made = through_make(args, out)
    code, output = directly(args, out)
    assert made.returncode == 2 and code == 1, (made.stdout, output)
    assert [l for l in output.splitlines() if l.startswith("pack: error:")], output
    assert made.stdout.splitlines()[:-1] == output.splitlines(), (made.stdout, output)
    # make[N] when the suite itself runs under make (make verify)
    assert re.match(r"make(\[\d+\])?: \*\*\* \[", made.stdout.splitlines()[-1]), made.stdout
    assert not os.path.exists(tmp_path / "image.elf")


@pytest.mark.parametrize("args, why", [
    (["image", "KERNEL=/tmp/a$b"], "make would expand $b"),
    (["image", 'KERNEL=/tmp/a"b'], "a quote would end the recipe's quoted word"),
    (["image", f"KERNEL={BUILD}/no-such-kernel.elf"], "make would refuse the missing prerequisite"),
    (["run", f"KERNEL={Artifacts.standin_kernel}"], "not a pack target"),
    (["image", "KERNEL"], "not a variable"),
])
def test_what_make_would_change_goes_through_make(args, why):
    assert packcmd.command(args, "/tmp/out.elf", dict(os.environ), ROOT, BUILD) is None, why


def test_images_pack_uses_the_direct_command(tmp_path, monkeypatch):
    """images.pack runs no make per image (make -n once for its template)."""
    calls = []
    real = subprocess.run

    def spy(argv, *a, **kw):
        calls.append(list(argv))
        return real(argv, *a, **kw)

    monkeypatch.setattr(subprocess, "run", spy)
    monkeypatch.delenv("BOOTCHECK_RUN_CACHE", raising=False)       # no run cache: really packs
    images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "a.elf", mem=1536)
    images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "b.elf", mem=1536,
                   dtb=os.path.join(FIXTURES, "virt-1g.dtb"))
    asked = [c for c in calls if (os.path.basename(c[0]) == "make" and "-n" in c) or
             c[1:] == ["-print-libgcc-file-name"]]
    assert [os.path.basename(c[0]) for c in calls if c not in asked] == ["pack-check"] * 2, calls


def test_pack_script_env_is_not_in_the_templates_key(tmp_path, monkeypatch):
    """PACK_UNCHECKED and PAYLOAD_CPIO (packcmd.PACK_SCRIPT_ENV) do not make
    a template of their own: no make fragment reads them, so make's recipe is
    the same whatever they are, and a pack that sets them (a payload archive,
    packed unchecked) gives make's bytes and lines."""
    fragments = [os.path.join(ROOT, "Makefile")] + [
        os.path.join(d, f) for d, dirs, files in os.walk(ROOT)
        if not os.path.relpath(d, ROOT).split(os.sep)[0] in ("build", ".git", "reports")
        for f in files if f.endswith(".mk")]
    assert len(fragments) > 5, fragments
    for name in packcmd.PACK_SCRIPT_ENV:
        readers = [f for f in fragments if name in open(f).read()]
        assert not readers, f"make reads {name} ({readers}): packcmd must key its template on it"
    monkeypatch.setenv("PACK_UNCHECKED", "1")
    monkeypatch.setenv("PAYLOAD_CPIO", os.path.join(FIXTURES, "broken", "good-payload.cpio"))
    args = image_args(kernel="", roottask="")
    made = through_make(args, tmp_path / "make.elf")
    assert made.returncode == 0, made.stdout
    code, output = directly(args, tmp_path / "direct.elf")
    assert code == 0, output
    assert output.replace(str(tmp_path / "direct.elf"), "OUT") == \
        made.stdout.replace(str(tmp_path / "make.elf"), "OUT")
    with open(tmp_path / "make.elf", "rb") as a, open(tmp_path / "direct.elf", "rb") as b:
        assert a.read() == b.read(), "the images differ"


# The pack step's own housekeeping (loader/host/pack_step.c), which the
# shell script it replaced left to mktemp, mv and a trap.

def _pack_process(target_args, out, tmpdir, **env):
    """The pack step started (not waited for) with its temporaries in tmpdir."""
    steps = packcmd.command(target_args, str(out), dict(os.environ), ROOT, BUILD)
    assert steps and len(steps) == 1, steps
    argv, step_env = steps[0]
    assert argv[-5:-4] == ["--pack"], argv
    return subprocess.Popen(argv, env=dict(step_env, TMPDIR=str(tmpdir), **env), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_an_interrupted_pack_leaves_no_temporary_file_and_no_image(tmp_path, sig):
    """Signalled while the linker runs (a stand-in `ld` that says it started
    and waits), the step ends that linker, removes its temporary folder,
    writes no image and dies of the signal."""
    tmpdir, tools = tmp_path / "tmp", tmp_path / "tools"
    tmpdir.mkdir()
    tools.mkdir()
    started = tmp_path / "ld.pid"
    ld = tools / "fake-ld"
    ld.write_text(f'#!/bin/sh\necho $$ > "{started}.part" && mv "{started}.part" "{started}"\nexec sleep 60\n')
    ld.chmod(0o755)
    out = tmp_path / "image.elf"
    proc = _pack_process(image_args(), out, tmpdir, CROSS=str(tools / "fake-"))
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.exists(), f"the pack step never started its linker:\n{proc.poll()}"
        assert list(tmpdir.iterdir()), "no temporary folder while the linker runs"
        proc.send_signal(getattr(signal, sig))
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -getattr(signal, sig), proc.stdout.read()
    assert list(tmpdir.iterdir()) == [], "temporary files left behind"
    assert not out.exists()
    linker = int(started.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(linker, 0)           # ended and reaped, not left sleeping


def test_an_image_for_another_filesystem_is_put_in_place_whole(tmp_path):
    """OUT on another filesystem than the temporaries (rename cannot move
    it): the image is copied beside OUT and renamed over it, with the
    linker's file mode, and nothing else is left there."""
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip(f"{shm} is not another filesystem than {tmp_path} here")
    there = tempfile.mkdtemp(dir=shm, prefix="bootcheck-test-")
    try:
        out = os.path.join(there, "image.elf")
        with open(out, "w") as f:
            f.write("an older image")          # replaced, as mv replaces it
        proc = _pack_process(image_args(), out, tmp_path)
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output
        here = tmp_path / "here.elf"
        status, _ = directly(image_args(), here)
        assert status == 0
        with open(out, "rb") as a, open(here, "rb") as b:
            assert a.read() == b.read()
        assert os.stat(out).st_mode & 0o777 == os.stat(here).st_mode & 0o777
        assert os.listdir(there) == ["image.elf"]
        assert [p for p in tmp_path.iterdir() if p.name.startswith("bootcheck-pack.")] == []
    finally:
        shutil.rmtree(there, ignore_errors=True)


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_an_image_does_not_name_the_checkout(tmp_path, arch):
    """The payload carries whole ELF files, debug info included; a checkout's
    path in that debug info would change the files' sizes with the clone's
    location, and with them the payload's layout and the loader's
    instruction count (make bench). -ffile-prefix-map names it '.'."""
    kernel, roottask = Artifacts.standin_and_roottask(arch)
    image = images.pack_ok(kernel, roottask, tmp_path / f"where-{arch}.elf")
    with open(image, "rb") as f:
        data = f.read()
    assert os.path.realpath(ROOT).encode() not in data, "the image names the checkout's path"
