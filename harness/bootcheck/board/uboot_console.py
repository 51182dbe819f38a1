"""Drives U-Boot's serial console the way a person at a board would: stop
the autoboot countdown, type a command, wait for the prompt.

The console is a pair of FIFOs (QEMU's `-serial pipe:PATH` reads PATH.in and
writes PATH.out), so the same driver works whether QEMU was started by us or
by gdb (whose stdio is then the gdb protocol). Every wait has a deadline and,
when it passes, raises ConsoleTimeout naming what was awaited and the last
lines seen, so a prompt that never comes fails the test instead of hanging it.
"""
import os
import re
import select
import time

PROMPT = "=> "
AUTOBOOT = "Hit any key to stop autoboot"
LAST_LINES = 12


class ConsoleTimeout(Exception):
    """A console wait ran out of time (or the other side went away)."""


def make_fifos(base):
    """The FIFO pair QEMU's `-serial pipe:base` uses."""
    for suffix in (".in", ".out"):
        os.mkfifo(base + suffix)
    return base


class Console:
    """One U-Boot console over QEMU's serial FIFOs. Everything read is kept
    in `text` (and, when log_path is given, written there as it arrives)."""

    def __init__(self, fifo_base, log_path=None):
        # O_RDWR never blocks on a FIFO (Linux), whether or not QEMU has
        # opened its end yet; reads are non-blocking and waited on with select.
        self.rfd = os.open(fifo_base + ".out", os.O_RDWR | os.O_NONBLOCK)
        self.wfd = os.open(fifo_base + ".in", os.O_RDWR)
        self.text = ""
        self.mark = 0          # where the current command's output starts
        self.log = open(log_path, "w") if log_path else None

    def close(self):
        for fd in (self.rfd, self.wfd):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.log:
            self.log.close()
            self.log = None

    def last_lines(self, n=LAST_LINES):
        lines = self.text.replace("\r", "").split("\n")
        return "\n".join(lines[-n:])

    def _read_some(self, timeout):
        ready, _, _ = select.select([self.rfd], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            chunk = os.read(self.rfd, 65536)
        except BlockingIOError:
            return False
        piece = chunk.decode("utf-8", "replace")
        self.text += piece
        if self.log:
            self.log.write(piece.replace("\r\n", "\n"))
            self.log.flush()
        return True

    def wait_for(self, pattern, timeout, what, alive=None):
        """Reads until `pattern` (a string, or a compiled regex) appears after
        self.mark; returns the match's end offset in self.text (a string) or
        the match object (a regex). alive(): False when the machine is gone."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(pattern, re.Pattern):
                m = pattern.search(self.text, self.mark)
                if m:
                    return m
            else:
                at = self.text.find(pattern, self.mark)
                if at >= 0:
                    return at + len(pattern)
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConsoleTimeout(f"waited {timeout:g} s for {what} ({_show(pattern)}); "
                                     f"last lines seen:\n{self.last_lines()}")
            if alive is not None and not alive():
                self._read_some(0.05)   # whatever QEMU wrote before it went
                if not self._found(pattern):
                    raise ConsoleTimeout(f"QEMU exited while waiting for {what} ({_show(pattern)}); "
                                         f"last lines seen:\n{self.last_lines()}")
                continue
            self._read_some(min(left, 0.2))

    def _found(self, pattern):
        if isinstance(pattern, re.Pattern):
            return pattern.search(self.text, self.mark) is not None
        return self.text.find(pattern, self.mark) >= 0

    def send(self, text):
        os.write(self.wfd, text.encode())

    def stop_autoboot(self, timeout=20.0, alive=None):
        """Waits for U-Boot's countdown and presses a key, then for the prompt."""
        end = self.wait_for(AUTOBOOT, timeout, "U-Boot's autoboot countdown", alive)
        self.mark = end
        self.send(" ")
        self.mark = self.wait_for(PROMPT, 10.0, "U-Boot's prompt after stopping autoboot", alive)

    def command(self, line, timeout=10.0, prompt=True, alive=None):
        """Types `line` and returns what U-Boot printed for it; with prompt
        False, returns once the echo is seen (for a command that never
        returns to U-Boot, e.g. one that starts a loader)."""
        start = len(self.text)
        self.mark = start
        self.send(line + "\r")
        self.mark = self.wait_for(line, 5.0, f"U-Boot's echo of {line!r}", alive)
        if not prompt:
            return ""
        out_start = self.mark
        end = self.wait_for(PROMPT, timeout, f"U-Boot's prompt after {line!r}", alive)
        self.mark = end
        return self.text[out_start:end - len(PROMPT)].replace("\r", "").strip("\n")


def _show(pattern):
    return repr(pattern.pattern if isinstance(pattern, re.Pattern) else pattern)
