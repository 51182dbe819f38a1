"""`make docs-images`: the pictures the documentation shows, made from a real
run so they cannot drift: `bootcheck check` on the altloader fixture that
hands over a DTB inside the root task (a failing verdict), rendered by
headless Chromium. The screenshot keeps the verdict, the boot chain and the
memory map (the rules table and the serial log are left out of the picture,
not of the report)."""

import argparse
import os
import re
import subprocess
import sys

HARNESS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HARNESS)

from bootcheck.reports import browser  # noqa: E402

PICTURE_CSS = "table,details{display:none}body{margin:1em 1.5em}"
WIDTH = 1280


def check_report(build, image, out):
    r = subprocess.run([os.path.join(build, "bin", "bootcheck"), "check", image,
                        "--kernel", os.path.join(build, "targets", "standin", "kernel.elf"),
                        "--roottask", os.path.join(build, "roottask", "roottask.elf"), "--out", out],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 1:
        raise SystemExit(f"docs-images: expected a failing verdict (exit 1) for {image}, got {r.returncode}:\n"
                         f"{r.stdout}{r.stderr}")
    lines = r.stdout.strip().splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("bootcheck: memory map")), len(lines) - 1)
    print("\n".join(lines[start:]))
    return os.path.join(out, "report.html")


def picture_page(report):
    """A copy of the report that shows only what the picture is about, and
    the height that holds it all."""
    with open(report) as f:
        text = f.read()
    heights = [float(h) for h in re.findall(r'<svg [^>]*class="(?:bootchain|memmap)"[^>]*height="([\d.]+)"', text)]
    page = report.replace(".html", "-picture.html")
    with open(page, "w") as f:
        f.write(text.replace("</style>", PICTURE_CSS + "</style>", 1))
    return page, int(sum(heights) + 420)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True, help="directory for the PNG files")
    a = p.parse_args()
    image = os.path.join(a.build, "fixtures", "altloader", "dtb-overlaps-user.elf")
    work = os.path.join(a.build, "docs-images", "check-dtb-overlaps-user")
    page, height = picture_page(check_report(a.build, image, work))
    os.makedirs(a.out, exist_ok=True)
    png = os.path.join(a.out, "check-dtb-overlaps-user.png")
    try:
        browser.screenshot(page, png, WIDTH, height)
    except browser.BrowserError as e:
        raise SystemExit(f"docs-images: {e}")
    print(f"docs-images: {os.path.relpath(png)} ({WIDTH}x{height}) from {os.path.relpath(page)}")


if __name__ == "__main__":
    main()
