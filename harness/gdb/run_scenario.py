"""gdb-multiarch -batch -x harness/gdb/run_scenario.py: runs scenario plans
(JSON written by bootcheck.boot.gdbrun) one after another. BOOTCHECK_REQUESTS and
BOOTCHECK_REPLIES are pipe file descriptors: gdb reads a plan's path per
line, runs it and writes the path back once its result is written and its
QEMU is gone, until the requests pipe closes. One gdb then serves every
scenario of a process (bootcheck.boot.gdbrun.GdbServer): its start, about 0.2
CPU-s, more than the rest of a run's gdb side, is paid once.

The plan's architecture (the kernel's) chooses the runner: bcgdb.stops for
AArch64, scenario_riscv (the same runner in RISC-V's registers) for riscv64."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gdb  # noqa: E402

from bcgdb import stops, target  # noqa: E402


def runner_for(plan):
    if plan.get("arch", "aarch64") == "riscv64":
        import scenario_riscv
        return scenario_riscv.RiscvRun
    return stops.Run


def forget_last_run():
    """What a plan's run leaves in gdb beyond its Run (stops.Run.close): its
    inferior, with the symbol files, the thread list and the target
    description QEMU sent (an AArch64 one makes gdb refuse a riscv64 ELF
    next), and a riscv64 run's architecture. The next run gets a new
    inferior, whose threads are numbered from 1 again."""
    try:
        target.quiet("kill")
    except gdb.error:
        pass
    old = gdb.selected_inferior().num
    target.quiet("add-inferior")
    target.quiet(f"inferior {max(i.num for i in gdb.inferiors())}")
    target.quiet(f"remove-inferiors {old}")
    target.quiet("set architecture auto")


def serve(requests_fd, replies_fd):
    # The shell and QEMU that gdb starts must not hold the pipes: the host
    # sees this gdb end by the replies pipe closing.
    for fd in (requests_fd, replies_fd):
        os.set_inheritable(fd, False)
    with os.fdopen(requests_fd, "r") as requests, os.fdopen(replies_fd, "w") as replies:
        while True:
            path = requests.readline().strip()
            if not path:
                break
            with open(path) as f:
                plan = json.load(f)
            stops.run_plan(plan, runner_for(plan))
            forget_last_run()
            replies.write(path + "\n")
            replies.flush()
    # Its folder (this gdb's output) goes with it, also when the host ended
    # without removing it.
    if os.environ.get("BOOTCHECK_SERVER_DIR"):
        shutil.rmtree(os.environ["BOOTCHECK_SERVER_DIR"], ignore_errors=True)


serve(int(os.environ["BOOTCHECK_REQUESTS"]), int(os.environ["BOOTCHECK_REPLIES"]))
