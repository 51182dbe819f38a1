"""Headless Chromium, for what a person sees of a report: the DOM after the
browser parsed and laid it out (--dump-dom) and screenshots. Each call gets a
new, empty profile and ends every process it started (Chromium's zygote and
crashpad helpers may outlive the browser)."""

import os
import shutil
import signal
import subprocess
import tempfile

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


class BrowserError(Exception):
    pass


def run(*args, timeout=120):
    """Chromium with args; a CompletedProcess (text)."""
    if CHROMIUM is None:
        raise BrowserError("chromium is not installed (make deps installs Debian's chromium)")
    with tempfile.TemporaryDirectory(prefix="bootcheck-chromium-") as profile:
        proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def dump_dom(path):
    r = run("--dump-dom", f"file://{os.path.abspath(path)}")
    if r.returncode != 0 or "<html" not in r.stdout:
        raise BrowserError(f"chromium could not render {path}: {r.stderr.strip()[-500:]}")
    return r.stdout


def screenshot(path, png, width=1280, height=1000):
    r = run(f"--screenshot={os.path.abspath(png)}", f"--window-size={width},{height}",
            f"file://{os.path.abspath(path)}")
    if r.returncode != 0 or not os.path.exists(png):
        raise BrowserError(f"chromium made no screenshot of {path}: {r.stderr.strip()[-500:]}")
    return png
