"""bootcheck's command line (build/bin/bootcheck).

    bootcheck check IMAGE [--kernel ELF] [--roottask ELF] [--dtb FILE]
                          [--machine M] [--cpu C] [--mem MIB] [--out DIR]
"""
import argparse
import os
import re
import sys

from .board import linux_check
from .boot import progress
from .check import checkrun, contract
from .reports import checkreport

DESCRIPTION = """\
Judge a loader image (bootcheck's own, seL4's stock elfloader, or any other)
against seL4's AArch64 boot contract (13.0.0 to 16.0.0, non-MCS and MCS; the
kernel's release and configuration are read from its ELF), from both sides:
in Unicorn up to the branch to the kernel, and booted in QEMU under gdb up to
the root task's entry at EL0 and on to its end. Prints one line per rule of the boot chain and a diagnosis that
names the first broken link; writes verdict.json, verdict.md, junit.xml,
report.html and serial.log to the report directory.

The kernel, root task and DTB are found in the image (a `make image` payload
or seL4's stock elfloader archive); for any other loader name the ELF files
it carries with --kernel and --roottask.

An image of bootcheck's loader with a Linux payload (make image
KERNEL=Image ...) is judged by the Linux arm64 boot contract instead
(targets/linux-arm64-boot.md), at the Image's first instruction.

Exit status: 0 every rule holds, 1 a rule is broken, 2 the check could not
be made (the message says why), 3 incomplete: no rule is broken, but some
could not be observed (the last line names them and what to give, e.g. an
unstripped KERNEL=)."""


def _report_dir(image, out):
    if out:
        return out
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.splitext(os.path.basename(image))[0])
    return os.path.join(checkrun.ROOT, "reports", "check", stem)


def cmd_describe(a, stdout, stderr):
    from .kernel import target
    return target.main(a.kernel, stdout=stdout, stderr=stderr, prog="bootcheck describe")


def cmd_check(a, stdout, stderr):
    def say(*text):
        print(*text, file=stdout)

    if linux_check.is_linux_image(a.image):   # our loader with a Linux payload: Linux's contract
        status, lines = linux_check.check(a.image, a.machine, a.mem, a.seconds or 20.0,
                                          _report_dir(a.image, a.out), progress.Progress("bootcheck", 3, stdout))
        say("\n".join(lines))
        return status
    try:
        v = checkrun.check(a.image, kernel=a.kernel, roottask=a.roottask, dtb=a.dtb, machine=a.machine,
                           cpu=a.cpu, mem=a.mem, seconds=a.seconds, cpus=a.cpus,
                           progress=progress.Progress("bootcheck", 4, stdout))
    except checkrun.CheckError as e:
        print(f"bootcheck: error: {e}", file=stderr)
        return 2
    out = _report_dir(a.image, a.out)
    checkreport.write_all(v, out)
    say(f"bootcheck: {a.image}: payload {v.payload}, machine {v.machine}")
    say(v.kernel_line())
    if v.target.unknown_line():
        say(f"bootcheck: kernel: {v.target.unknown_line()}")
    for f in v.findings:
        link = contract.CHAIN_ORDER[f.rule] + 1
        source = f"  [{f.source}]" if f.source else ""
        say(f"{f.status.upper():12} {link:2} {f.rule:15} {f.sentence}{source}")
    say(f"bootcheck: reports in {os.path.relpath(out)}/ (report.html, verdict.md, junit.xml, verdict.json)")
    # The map of what a failed placement, overlap or write rule involves,
    # right above the diagnosis, which stays the last line (CI and the
    # tests read it there).
    for line in v.text_map():
        say(line)
    say(v.diagnosis_line())
    return v.exit_status


def main(argv=None, stdout=None, stderr=None):
    """stdout, stderr: where the check writes (default: sys.stdout and
    sys.stderr as they are when main is called); a caller running several
    checks at once in one process (the tests) gives each its own."""
    p = argparse.ArgumentParser(prog="bootcheck", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="judge a loader image against seL4's contract",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("image", help="the loader image ELF (what QEMU's -kernel boots)")
    c.add_argument("--kernel", help="the kernel ELF inside the image (needed when bootcheck does not "
                   "recognise its payload)")
    c.add_argument("--roottask", help="the root task ELF inside the image (as --kernel)")
    c.add_argument("--dtb", help="the DTB the loader hands over, if not in a recognised payload")
    c.add_argument("--machine", help="QEMU -machine (default: virt, or virt,virtualization=on for a "
                   "hyp kernel)")
    c.add_argument("--cpu", default="cortex-a53", help="QEMU -cpu (default cortex-a53)")
    c.add_argument("--mem", type=int, default=1024, help="RAM in MiB (default 1024)")
    c.add_argument("--cpus", type=int, help="QEMU -smp (default: the cores the kernel needs, from its "
                   "kernel_stack_alloc)")
    c.add_argument("--seconds", type=float, default=None,
                   help="wall-clock budget of the QEMU boot (default 20 s per core)")
    c.add_argument("--out", help="report directory (default reports/check/<image name>)")
    c.set_defaults(func=cmd_check)
    d = sub.add_parser("describe", help="what a kernel ELF is: architecture, seL4 release, MCS, hyp, cores",
                       description="Each kernel's target description, read once from its ELF as every "
                       "check reads it (architecture, seL4 release, MCS, hyp or EL1, cores, debug and "
                       "printing, stand-in or seL4), with the evidence for each fact.")
    d.add_argument("kernel", nargs="+", help="kernel ELF files (seL4's kernel.elf, or a stand-in)")
    d.set_defaults(func=cmd_describe)
    a = p.parse_args(argv)
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        return a.func(a, stdout, stderr)
    except KeyboardInterrupt:
        # The check's boots end themselves on the way out (their finally
        # blocks); the user asked for the stop, so no traceback.
        print("bootcheck: interrupted; the check's QEMU and gdb were ended, no verdict", file=stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
