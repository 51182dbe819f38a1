"""A second, independent instruction counter, to cross-check bootcost: QEMU
logs one `Trace` line per executed instruction (`-singlestep -d exec,nochain`)
into a FIFO, and we count lines until a PC first appears. ~30x slower than
bootcost's record/replay counter, and only exact up to the first timer
interrupt (it runs without icount), so use it for the loader stage."""

import os
import shutil
import signal
import subprocess
import tempfile
import threading

from .qemu_machine import VIRT, machine_argv

CHUNK = 1 << 20


def _count_trace_lines(data):
    return data.count(b"\nTrace ") + (1 if data.startswith(b"Trace ") else 0)


def _unblock_reader_when_done(proc, fifo):
    """If QEMU exits before opening the FIFO, our open() would wait forever;
    opening the write end once QEMU is gone releases it (then EOF)."""
    proc.wait()
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass        # no reader waiting, or already cleaned up


def count_to_pc(image, pc, machine=VIRT, cpu="cortex-a53", mem=1024, timeout=120):
    """Instructions executed from reset before `pc` first runs; None if never."""
    work = tempfile.mkdtemp(prefix="insn-trace-")
    fifo = os.path.join(work, "trace")
    os.mkfifo(fifo)
    cmd = ["timeout", "-s", "KILL", str(int(timeout)), *machine_argv(machine, cpu, mem), "-monitor", "none",
           "-serial", "null", "-no-reboot", "-singlestep", "-d", "exec,nochain",
           "-D", fifo, "-kernel", os.path.abspath(image)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    threading.Thread(target=_unblock_reader_when_done, args=(proc, fifo), daemon=True).start()
    # QEMU logs "[cs_base/pc/flags/cflags]": the PC sits between slashes.
    key = b"/%016x/" % pc
    count, carry, found = 0, b"", None
    try:
        with open(fifo, "rb") as f:
            while found is None:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                data = carry + chunk
                cut = data.rfind(b"\n") + 1
                block, carry = data[:cut], data[cut:]
                at = block.find(key)
                if at >= 0:
                    line_start = block.rfind(b"\n", 0, at) + 1
                    found = count + _count_trace_lines(block[:line_start])
                else:
                    count += _count_trace_lines(block)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return found
