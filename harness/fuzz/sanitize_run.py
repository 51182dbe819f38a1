"""`make verify-sanitize`: the host-side C under ASan + UBSan on every input
the project has: the fuzz replays on their seeds and regressions, and
pack-check on each ELF and DTB of the broken-input corpus and the seeds
(each distinct file once: the seeds hold copies of the corpus), and the
whole pack step (pack-check --pack, run with the environment make gives it:
fuzz.mk passes LOADER_PACK_ENV) once in each of its ways of packing.
A rejection (exit 1 with `pack: error:`) is fine; a sanitizer report is not.

usage: sanitize_run.py BUILD SANITIZE_BUILD REGRESSIONS"""

import glob
import hashlib
import os
import subprocess
import sys
import tempfile

TARGETS = ("elf", "cpio", "plan", "dtb", "override")
SANITIZER_EXIT = 99
ENV = dict(os.environ,
           ASAN_OPTIONS=f"exitcode={SANITIZER_EXIT}:detect_leaks=0",
           UBSAN_OPTIONS=f"exitcode={SANITIZER_EXIT}:halt_on_error=1:print_stacktrace=1")


def sanitizer_failed(proc):
    return (proc.returncode == SANITIZER_EXIT or proc.returncode < 0 or
            "AddressSanitizer" in proc.stderr or "runtime error:" in proc.stderr)


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace", env=ENV, timeout=120)


def files(*patterns):
    return sorted(p for pat in patterns for p in glob.glob(pat) if os.path.isfile(p))


def distinct(paths):
    """paths without those whose bytes an earlier one has: the seed corpus
    holds copies of the broken-input corpus (make_seeds.py), and pack-check
    reads only a file's bytes, so a copy is the same run again."""
    seen, kept = set(), []
    for p in paths:
        with open(p, "rb") as f:
            digest = hashlib.sha256(f.read()).digest()
        if digest not in seen:
            seen.add(digest)
            kept.append(p)
    return kept


def pack_steps(build, pack_check):
    """The pack step in each of its ways (pack_step.c): AArch64 with and
    without a DTB, SMP, riscv64 relinked above a kernel at OpenSBI's
    next-stage address, the Linux payload kind, the hand-off record, a test
    archive, and a refusal. Each must end as it says (0 or 1) and write an
    image exactly when it packs."""
    b = lambda *p: os.path.join(build, *p)
    ways = [
        ("aarch64", [b("fixtures", "probe-el1.elf"), b("roottask", "roottask.elf"), ""], {}, 0),
        ("aarch64 with a DTB", [b("fixtures", "probe-el1.elf"), b("roottask", "roottask.elf"),
                                b("fixtures", "virt-1g.dtb")], {}, 0),
        ("SMP", [b("targets", "standin", "kernel-smp4.elf"), b("roottask", "roottask.elf"),
                 b("fixtures", "virt-1g-smp4.dtb")], {}, 0),
        ("riscv64 relinked", [b("targets", "standin", "riscv64", "kernel-16.0.0.elf"),
                              b("roottask", "riscv64", "roottask.elf"), ""], {"PACK_ARCH": "riscv64"}, 0),
        ("Linux", [b("deps", "linux", "Image"), "", b("fixtures", "virt-1g.dtb")],
         {"INITRD": b("fixtures", "linux_init", "initramfs.cpio"), "BOOTARGS": "console=ttyAMA0"}, 0),
        ("hand-off record", [b("fixtures", "probe-record-el1.elf"), b("roottask", "roottask.elf"), ""],
         {"HANDOFF_RECORD": "probe_handoff_record"}, 0),
        ("test archive", ["", "", ""], {"PAYLOAD_CPIO": b("fixtures", "broken", "good-payload.cpio"),
                                        "PACK_UNCHECKED": "1"}, 0),
        ("refusal", [b("fixtures", "broken", "kernel-bad-magic.elf"), b("roottask", "roottask.elf"), ""],
         {}, 1),
    ]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (what, args, env, status) in enumerate(ways):
            out = os.path.join(tmp, f"image-{i}.elf")
            proc = subprocess.run([pack_check, "--pack", *args, out], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, errors="replace", timeout=120,
                                  env={**ENV, "PACK_ARCH": "aarch64", **env})
            if sanitizer_failed(proc) or proc.returncode != status or os.path.exists(out) != (status == 0):
                failures.append((f"pack-check --pack ({what}): exit {proc.returncode}, want {status}",
                                 proc.stdout + proc.stderr))
    print(f"sanitize: pack step: {len(ways)} ways of packing, {len(failures)} failures")
    return failures


def main(build, sanitize, regressions):
    failures = []
    for t in TARGETS:
        inputs = files(os.path.join(regressions, t, "*"), os.path.join(build, "fuzz", "seeds", t, "*"))
        proc = run([os.path.join(sanitize, f"replay-{t}"), *inputs])
        print(f"sanitize: replay-{t}: {len(inputs)} inputs, exit {proc.returncode}")
        if proc.returncode != 0:
            failures.append((f"replay-{t}", proc.stderr))

    pack_check = os.path.join(sanitize, "pack-check")
    kernel = os.path.join(build, "fixtures", "probe-el1.elf")
    roottask = os.path.join(build, "roottask", "roottask.elf")
    machine = ["1024", "0x48000000", "0x48100000"]
    elves = distinct(files(os.path.join(build, "fixtures", "broken", "*.elf"),
                           os.path.join(build, "fuzz", "seeds", "elf", "*")))
    dtbs = distinct(files(os.path.join(build, "fixtures", "broken", "*.dtb"),
                 os.path.join(build, "fixtures", "*.dtb"), os.path.join(regressions, "dtb", "*")))
    cases = ([[e, roottask, "-"] for e in elves] + [[kernel, e, "-"] for e in elves] +
             [[kernel, roottask, d] for d in dtbs])
    accepted = 0
    for args in cases:
        proc = run([pack_check, *args, *machine])
        if sanitizer_failed(proc) or proc.returncode not in (0, 1):
            failures.append((f"pack-check {' '.join(args)}", proc.stderr))
        accepted += proc.returncode == 0
    print(f"sanitize: pack-check: {len(cases)} runs ({accepted} accepted, "
          f"{len(cases) - accepted} refused), {len(failures)} failures in all")
    failures += pack_steps(build, pack_check)
    for what, err in failures:
        print(f"sanitize: FAILED {what}\n" + "\n".join(err.splitlines()[-30:]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
