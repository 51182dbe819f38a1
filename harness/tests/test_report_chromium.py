"""The HTML report as a browser renders it: headless Chromium loads the report
of a deliberately failing synthetic run from disk; its DOM must show the
failing test with the stop it reached, and its screenshot must be a real,
non-blank image. The screenshot is kept as reports/screenshots/ for CI."""

import os
import re
import shutil
import struct
import zlib

import pytest

from bootcheck.reports import browser

from report_run import FAILING_STOP, FAILING_TEST, run_synthetic

# With test_check_report_chromium.py on one worker: one Chromium
# (bootcheck.reports.browser.shared) for the pages of both.
pytestmark = [pytest.mark.unit, pytest.mark.slow, pytest.mark.xdist_group("chromium")]

REPORTS = os.path.join(os.path.dirname(__file__), "..", "..", "reports")


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory):
    if browser.CHROMIUM is None:
        pytest.skip("chromium is not installed (make deps installs Debian's chromium)")
    tmp = tmp_path_factory.mktemp("failing-run")
    proc, out = run_synthetic(tmp)
    assert proc.returncode == 1, proc.stdout
    return out / "report.html"


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


def test_dom_shows_failing_test_and_stop(failing_report):
    dom = browser.dump_dom(failing_report)      # raises BrowserError when it cannot render it
    rows = re.findall(r"<tr>(.*?)</tr>", dom, re.S)
    failing = [row for row in rows if FAILING_TEST in row]
    assert failing, f"no row for {FAILING_TEST} in the rendered DOM"
    assert re.search(r'<td class="failed">failed</td>', failing[0]), failing[0]
    assert re.search(rf'<td class="stop">{re.escape(FAILING_STOP)}</td>', failing[0]), failing[0]


def test_screenshot_is_rendered(failing_report, tmp_path):
    shot = tmp_path / "report.png"
    browser.screenshot(failing_report, shot, 1200, 900)     # raises BrowserError when it makes none
    assert shot.exists()
    width, height, distinct = png_pixels(shot)
    assert (width, height) == (1200, 900)
    assert distinct > 16, "the screenshot is blank"
    os.makedirs(os.path.join(REPORTS, "screenshots"), exist_ok=True)
    shutil.copy(shot, os.path.join(REPORTS, "screenshots", "report-failing-run.png"))
