"""One line per stage of a long piece of work, with how long it took, so a
run is never a silent wait: `bootcheck: [3/4] QEMU + GDB boot ... 4.2 s`.

The stage's name is written (and flushed) when it begins and its time when
it ends, so a terminal shows which stage is running and a log gets one
whole line per stage. A stage that ends by an exception gets `failed after
N s`. silent() prints nothing (library callers)."""

import sys
import time
from contextlib import contextmanager


class Progress:
    def __init__(self, prefix, total, stream="stdout"):
        self.prefix = prefix
        self.total = total
        self.stream = stream
        self.done = 0

    def _write(self, text):
        stream = sys.stdout if self.stream == "stdout" else self.stream   # sys.stdout as it is now
        if stream is not None:
            stream.write(text)
            stream.flush()

    @contextmanager
    def stage(self, name):
        """with progress.stage("QEMU + GDB boot"): ... ; inside, set_result()
        may add a word before the time (e.g. the exit status)."""
        self.done += 1
        self.result = ""
        self.tail = ""
        self._write(f"{self.prefix}: [{self.done}/{self.total}] {name} ...")
        t0 = time.monotonic()
        try:
            yield self
        except BaseException:
            self._write(f" failed after {time.monotonic() - t0:.1f} s\n")
            raise
        self._write(f"{' ' + self.result + ',' if self.result else ''} {time.monotonic() - t0:.1f} s"
                    f"{'; ' + self.tail if self.tail else ''}\n")

    def set_result(self, text):
        """A word or two before the time: `exit 0,`."""
        self.result = text

    def set_tail(self, text):
        """What follows the time: `; log reports/lava/logs/x.log`."""
        self.tail = text


def silent():
    return Progress("", 0, stream=None)
