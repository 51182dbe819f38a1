"""gdb-multiarch -batch -x harness/gdb/run_scenario.py, with BOOTCHECK_PLAN
naming the plan JSON written by bootcheck.gdbrun. The plan's architecture
(the kernel's) chooses the runner: bcgdb.stops for AArch64, scenario_riscv
(the same runner in RISC-V's registers) for riscv64."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

with open(os.environ["BOOTCHECK_PLAN"]) as f:
    ARCH = json.load(f).get("arch", "aarch64")

if ARCH == "riscv64":
    import scenario_riscv  # noqa: E402
    scenario_riscv.main()
else:
    from bcgdb import stops  # noqa: E402
    stops.main()
