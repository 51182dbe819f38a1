"""Headless Chromium, for what a person sees of a report: the DOM after the
browser parsed and laid it out (what --dump-dom prints) and screenshots.

Starting Chromium costs seconds (its zygote, GPU and network processes, a
renderer), a page costs a fraction of one: one Browser serves every page of
a process (shared(), closed at exit). It is driven over its DevTools pipe
(--remote-debugging-pipe: commands on its fd 3, answers on its fd 4, JSON
messages ending in NUL), with a new, empty profile, in a session of its own
that close() ends whole (Chromium's zygote and crashpad helpers may outlive
the browser). Chromium also quits by itself when the pipe closes, so a
process that dies without closing it leaves no browser behind."""

import atexit
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
# What --dump-dom prints: the doctype, then the document element's markup.
DOM_EXPRESSION = ("(document.doctype ? new XMLSerializer().serializeToString(document.doctype) + '\\n' : '')"
                  " + document.documentElement.outerHTML")
# Pipe ends in the parent are moved above the fds a child is given (3, 4).
HIGH_FD = 10


class BrowserError(Exception):
    pass


def _high_fd(fd):
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium with one tab; each page is loaded into that tab
    from disk and read once it fired its load event."""

    def __init__(self, timeout=120):
        if CHROMIUM is None:
            raise BrowserError("chromium is not installed (make deps installs Debian's chromium)")
        self.timeout = timeout
        self.work = tempfile.mkdtemp(prefix="bootcheck-chromium-")
        self.profile = os.path.join(self.work, "profile")
        self.log = os.path.join(self.work, "chromium.log")     # its stderr, read when it fails
        self._buf = b""
        self._next_id = 0
        self._events = []
        self.proc = None
        theirs_in, self._to = os.pipe()          # commands: we write, Chromium reads (its fd 3)
        self._from, theirs_out = os.pipe()       # answers: Chromium writes (its fd 4), we read
        self._to, self._from = _high_fd(self._to), _high_fd(self._from)
        theirs_in, theirs_out = _high_fd(theirs_in), _high_fd(theirs_out)
        try:
            # bash, not sh: dash's redirections take one-digit fds only.
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(
                    ["/bin/bash", "-c",
                     f'exec "$0" "$@" 3<&{theirs_in} 4>&{theirs_out} {theirs_in}<&- {theirs_out}>&-',
                     CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
                     "about:blank"],
                    pass_fds=(theirs_in, theirs_out), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=log, start_new_session=True)
        except OSError as e:
            self.close()
            raise BrowserError(f"chromium did not start: {e}")
        finally:
            os.close(theirs_in)
            os.close(theirs_out)
        try:
            target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._call("Page.enable", session=True)
        except BrowserError:
            self.close()
            raise

    # --- the pipe ---------------------------------------------------------------

    def _stderr_tail(self):
        try:
            with open(self.log, "rb") as f:
                err = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [l for l in err.splitlines() if "dbus" not in l and l.strip()]
        return (": " + " / ".join(lines[-3:])) if lines else ""

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from], [], [], left)[0]:
                raise BrowserError(f"chromium did not answer within {self.timeout} s")
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed its DevTools pipe" + self._stderr_tail())
            self._buf += chunk
        message, _, self._buf = self._buf.partition(b"\0")
        return json.loads(message)

    def _call(self, method, params=None, session=False):
        if self.proc is None:
            raise BrowserError("the browser is closed")
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self._session
        try:
            os.write(self._to, json.dumps(msg).encode() + b"\0")
        except OSError as e:
            raise BrowserError(f"chromium's DevTools pipe: {e}" + self._stderr_tail())
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == msg["id"]:
                if "error" in answer:
                    raise BrowserError(f"chromium: {method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            self._events.append(answer)

    def _wait_event(self, method):
        deadline = time.monotonic() + self.timeout
        while True:
            for e in self._events:
                if e.get("method") == method and e.get("sessionId") == self._session:
                    self._events.remove(e)
                    return e
            self._events.append(self._read_message(deadline))

    # --- pages ------------------------------------------------------------------

    def _load(self, path, size=None):
        """Loads the file into the tab; size (width, height): the viewport."""
        if size is None:
            self._call("Emulation.clearDeviceMetricsOverride", session=True)
        else:
            self._call("Emulation.setDeviceMetricsOverride",
                       {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False}, session=True)
        self._events = [e for e in self._events if e.get("method") != "Page.loadEventFired"]
        nav = self._call("Page.navigate", {"url": f"file://{os.path.abspath(path)}"}, session=True)
        if nav.get("errorText"):
            raise BrowserError(f"chromium could not load {path}: {nav['errorText']}")
        self._wait_event("Page.loadEventFired")

    def dump_dom(self, path):
        """The rendered document's markup, as `chromium --dump-dom` prints it."""
        self._load(path)
        r = self._call("Runtime.evaluate", {"expression": DOM_EXPRESSION, "returnByValue": True}, session=True)
        text = r.get("result", {}).get("value")
        if not isinstance(text, str) or "<html" not in text:
            raise BrowserError(f"chromium could not render {path}: {r.get('exceptionDetails')}")
        return text + "\n"

    def screenshot(self, path, png, width=1280, height=1000):
        """A PNG of the page's first width x height pixels, written to png."""
        self._load(path, (width, height))
        data = self._call("Page.captureScreenshot", {"format": "png"}, session=True).get("data")
        if not data:
            raise BrowserError(f"chromium made no screenshot of {path}")
        with open(png, "wb") as f:
            f.write(base64.b64decode(data))
        return png

    def close(self):
        for fd in (self._to, self._from):
            try:
                os.close(fd)        # Chromium quits when its pipe closes
            except OSError:
                pass
        self._to = self._from = -1
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)   # its helpers, and a browser that did not quit
            except ProcessLookupError:
                pass
            proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_shared = None


def shared():
    """This process's browser, started on first use and closed at exit."""
    global _shared
    if _shared is None or _shared.proc is None:
        _shared = Browser()
    return _shared


def close_shared():
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None


atexit.register(close_shared)


def _with_shared(do):
    """do(browser); a browser that failed is closed, the next call starts another."""
    try:
        return do(shared())
    except BrowserError:
        close_shared()
        raise


def dump_dom(path):
    return _with_shared(lambda b: b.dump_dom(path))


def screenshot(path, png, width=1280, height=1000):
    return _with_shared(lambda b: b.screenshot(path, png, width, height))
