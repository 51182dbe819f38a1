"""`make verify-sanitize`, Unicorn part: the emu-check runner built with ASan
and UBSan, run on real loader images: the stand-in and probe kernels at EL1
and a hyp probe at EL2 (all checks must pass), a broken payload (the
loader must stop the machine), and the foreign loader fixtures/altloader
with --kernel/--roottask and --json (the payload finder's file mode and the
contract observations). Any sanitizer report fails the run.

usage: sanitize_emu.py EMU_CHECK BUILD"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bootcheck.pack import images  # noqa: E402

SANITIZER_EXIT = 99
ENV = dict(os.environ,
           # Leaks are not checked: emu-check is a one-shot CLI that exits.
           ASAN_OPTIONS=f"exitcode={SANITIZER_EXIT}:detect_leaks=0",
           UBSAN_OPTIONS=f"exitcode={SANITIZER_EXIT}:halt_on_error=1:print_stacktrace=1")


def run_sanitized(args):
    """(exit status, output, whether a sanitizer spoke)."""
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", env=ENV, timeout=300)
    bad = ("AddressSanitizer" in proc.stdout or "runtime error:" in proc.stdout or
           proc.returncode == SANITIZER_EXIT or proc.returncode < 0)
    return proc.returncode, proc.stdout, bad


def main(emu_check, build):
    fx = os.path.join(build, "fixtures")
    roottask = os.path.join(build, "roottask", "roottask.elf")
    dtb = os.path.join(fx, "virt-1g.dtb")
    cases = [   # (name, kernel, roottask, dtb, el, expected exit)
        ("standin-el1", os.path.join(build, "targets", "standin", "kernel.elf"), roottask, dtb, 1, 0),
        ("probe-el1-qemu-dtb", os.path.join(fx, "probe-el1.elf"), roottask, None, 1, 0),
        ("probe-hyp-el2", os.path.join(fx, "probe-hyp.elf"), roottask, None, 2, 0),
        # A 32-bit root task: the loader refuses it and stops the machine.
        ("broken-roottask", os.path.join(fx, "probe-el1.elf"),
         os.path.join(fx, "broken", "roottask-elfclass32.elf"), dtb, 1, 1),
    ]
    failures = []
    with tempfile.TemporaryDirectory(prefix="bcsan") as tmp:
        for name, kernel, rt, d, el, want in cases:
            image = os.path.join(tmp, f"{name}.elf")
            packed = images.pack(kernel, rt, image, dtb=d, unchecked=want != 0)
            if packed.returncode != 0:
                failures.append(f"{name}: packing failed:\n{packed.output}")
                continue
            # QEMU's DTB as the unsanitized runner finds it beside itself.
            qemu_dtb = os.path.join(build, "harness", f"qemu-virt-el{el}.dtb")
            rc, out, bad = run_sanitized([emu_check, image, "--el", str(el), "--qemu-dtb", qemu_dtb])
            print(f"sanitize: emu-check {name}: exit {rc}")
            if bad or rc != want:
                failures.append(f"{name}: exit {rc} (want {want})\n{out}")
        # A foreign loader: no plan, the observations go to the JSON report.
        kernel = os.path.join(build, "targets", "standin", "kernel.elf")
        for mutant in ("good", "write-rootserver", "never-reaches-kernel"):
            image = os.path.join(fx, "altloader", f"{mutant}.elf")
            rc, out, bad = run_sanitized([
                emu_check, image, "--kernel", kernel, "--roottask", roottask,
                "--json", os.path.join(tmp, f"alt-{mutant}.json"),
                "--qemu-dtb", os.path.join(build, "harness", "qemu-virt-el1.dtb")])
            want = 1 if mutant == "never-reaches-kernel" else 0
            print(f"sanitize: emu-check altloader-{mutant}: exit {rc}")
            if bad or rc != want:
                failures.append(f"altloader-{mutant}: exit {rc} (want {want})\n{out}")
    for f in failures:
        print(f"sanitize: FAILED {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
