"""The HTML report as a browser renders it: headless Chromium loads the report
of a deliberately failing synthetic run from disk; its DOM must show the
failing test with the stop it reached, and its screenshot must be a real,
non-blank image. The screenshot is kept as reports/screenshots/ for CI."""

import os
import re
import shutil
import signal
import struct
import subprocess
import zlib

import pytest

from report_run import FAILING_STOP, FAILING_TEST, run_synthetic

pytestmark = [pytest.mark.unit, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPORTS = os.path.join(os.path.dirname(__file__), "..", "..", "reports")


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make deps installs Debian's chromium)")
    tmp = tmp_path_factory.mktemp("failing-run")
    proc, out = run_synthetic(tmp)
    assert proc.returncode == 1, proc.stdout
    return out / "report.html"


def chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)      # a new, empty profile: no state between runs
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        # Chromium's helpers (zygote, crashpad) may outlive the browser.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def png_pixels(path):
    """(width, height, distinct byte values in the image data) of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return size[0], size[1], len(set(zlib.decompress(idat)))


def test_dom_shows_failing_test_and_stop(failing_report, tmp_path):
    r = chromium(tmp_path, "--dump-dom", failing_report.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    rows = re.findall(r"<tr>(.*?)</tr>", r.stdout, re.S)
    failing = [row for row in rows if FAILING_TEST in row]
    assert failing, f"no row for {FAILING_TEST} in the rendered DOM"
    assert re.search(r'<td class="failed">failed</td>', failing[0]), failing[0]
    assert re.search(rf'<td class="stop">{re.escape(FAILING_STOP)}</td>', failing[0]), failing[0]


def test_screenshot_is_rendered(failing_report, tmp_path):
    shot = tmp_path / "report.png"
    r = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,900",
                 failing_report.as_uri())
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    width, height, distinct = png_pixels(shot)
    assert (width, height) == (1200, 900)
    assert distinct > 16, "the screenshot is blank"
    os.makedirs(os.path.join(REPORTS, "screenshots"), exist_ok=True)
    shutil.copy(shot, os.path.join(REPORTS, "screenshots", "report-failing-run.png"))
