"""gdb-multiarch -batch -x harness/gdb/run_scenario.py, with BOOTCHECK_PLAN
naming the plan JSON written by bootcheck.gdbrun."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bcgdb import stops  # noqa: E402

stops.main()
