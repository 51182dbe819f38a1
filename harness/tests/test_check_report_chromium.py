"""`make check`'s report.html as a browser renders it: headless Chromium loads
the report of a passing image and of three failing ones (fixtures/altloader
mutants: the DTB inside the root task, a store into seL4's rootserver, an x1
one page short), and the rendered DOM must show the boot chain with the
status colours, the first broken link (the verdict's) as the one highlighted,
and the memory map with the boxes and marks the failure is about."""

import concurrent.futures
import html.parser
import os
import pathlib
import re

import pytest

from bootcheck.reports import browser

from check_runs import packed_once, run_check
from conftest import BUILD, Artifacts

# One worker runs this module and test_report_chromium.py: the module's
# reports are made once, and one Chromium (bootcheck.reports.browser.shared) serves
# every page of both.
pytestmark = [pytest.mark.qemu, pytest.mark.emu, pytest.mark.slow, pytest.mark.xdist_group("chromium")]

ALT = os.path.join(BUILD, "fixtures", "altloader")
# The colours the report promises (docs/report.md): passed, broken, not reached.
GREEN, RED, GREY = "#1a7f37", "#cf222e", "#8c959f"
CASES = {"good": None, "dtb-overlaps-user": "dtb", "write-rootserver": "rootserver",
         "x1-page-short": "user_region"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def classes(self):
        return set((self.attrs.get("class") or "").split())

    def find_all(self, tag=None, cls=None, **attrs):
        out = []
        for c in self.children:
            if ((tag is None or c.tag == tag) and (cls is None or cls in c.classes())
                    and all(c.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())):
                out.append(c)
            out += c.find_all(tag, cls, **attrs)
        return out

    def all_text(self):
        return self.text + "".join(c.all_text() for c in self.children)


class Dom(html.parser.HTMLParser):
    VOID = {"meta", "br", "img", "input", "link", "hr"}

    def __init__(self, text):
        super().__init__()
        self.root = self.at = Element("#root", [], None)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        e = Element(tag, attrs, self.at)
        self.at.children.append(e)
        if tag not in self.VOID:
            self.at = e

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Element(tag, attrs, self.at))

    def handle_endtag(self, tag):
        e = self.at
        while e is not None and e.tag != tag:
            e = e.parent
        if e is not None and e.parent is not None:
            self.at = e.parent

    def handle_data(self, data):
        self.at.text += data


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    if browser.CHROMIUM is None:
        pytest.skip("chromium is not installed (make deps installs Debian's chromium)")
    images = {}
    for name in CASES:
        images[name] = os.path.join(ALT, f"{name}.elf")
        if not os.path.exists(images[name]):
            pytest.fail(f"{images[name]} is missing: run `make all` first")
    dirs = {name: tmp_path_factory.mktemp(name) for name in CASES}
    # The checks (the same as test_check.py's of these images: each made once
    # per run) wait mostly for QEMU and gdb: they run side by side, and
    # beside the browser's start.
    with concurrent.futures.ThreadPoolExecutor(len(CASES) + 1) as pool:
        started = pool.submit(browser.shared)
        runs = {name: pool.submit(run_check, dirs[name], images[name], "--kernel", Artifacts.standin_kernel,
                                  "--roottask", Artifacts.roottask) for name in CASES}
        started.result()
        out = {}
        for name in CASES:
            r, verdict, d = runs[name].result()
            assert verdict is not None, r.stdout + r.stderr
            out[name] = (r, verdict, Dom(browser.dump_dom(d / "report.html")), d)
    return out


def link_number(g):
    """The number a link chip shows ("10 DTB" -> 10)."""
    return int(g.find_all("text")[0].all_text().split()[0])


def rect_of(g):
    r = g.find_all("rect")[0].attrs
    return tuple(float(r[k]) for k in ("x", "y", "width", "height"))


@pytest.mark.parametrize("name", list(CASES))
def test_chain_colours_and_highlighted_link(reports, name):
    r, verdict, dom, _ = reports[name]
    chain = dom.root.find_all("svg", cls="bootchain")
    assert len(chain) == 1, "no boot chain diagram in the rendered report"
    links = chain[0].find_all("g", cls="link")
    assert [link_number(l) for l in links] == list(range(1, 17))
    for link in links:
        rect = link.find_all("rect")[0].attrs
        want = {"pass": GREEN, "fail": RED, "not_reached": GREY}[link.attrs["data-status"]]
        assert rect["stroke"] == want, (link.attrs, rect)
    by_rule = {f["rule"]: f["status"] for f in verdict["findings"]}
    for link in links:
        status = by_rule[link.attrs["data-rule"]]
        assert link.attrs["data-status"] == {"pass": "pass", "warn": "pass", "fail": "fail",
                                             "not_observed": "not_reached"}[status]
    first = chain[0].find_all("g", cls="first-broken")
    if CASES[name] is None:
        assert r.returncode == 0 and first == []
        stages = chain[0].find_all("g", cls="stage")
        assert {s.attrs["data-status"] for s in stages} == {"pass"}, "a passing boot with a stage not green"
        assert dom.root.find_all("p", cls="first-broken-line") == []
        return
    # The highlighted link is the verdict's first broken one, the line printed says so.
    link_no = int(re.search(r"FAIL at link (\d+) \((\w+)\)", r.stdout).group(1))
    assert [f.attrs["data-rule"] for f in first] == [CASES[name]]
    assert link_number(first[0]) == link_no
    assert first[0].find_all("rect")[0].attrs["stroke-width"] == "3"
    assert {l.find_all("rect")[0].attrs["stroke-width"] for l in links if l is not first[0]} == {"1"}
    assert first[0].parent.tag == "a" and first[0].parent.attrs["href"] == f"#rule-{CASES[name]}"
    # ...which leads to its finding row and to the serial lines around it.
    assert dom.root.find_all("td", id=f"rule-{CASES[name]}")
    para = dom.root.find_all("p", cls="first-broken-line")[0]
    serial_href = para.find_all("a", cls="to-serial")[0].attrs["href"]
    assert dom.root.find_all("span", id=serial_href[1:]), serial_href
    marked = [s.all_text() for s in dom.root.find_all("span", cls="around-break")]
    assert marked, "no serial lines marked around the break"
    # The stages after the broken one that hold no broken link themselves are grey.
    stages = chain[0].find_all("g", cls="stage")
    broken_at = next(i for i, s in enumerate(stages) if "first-broken-stage" in s.classes())
    assert stages[broken_at].attrs["data-status"] == "fail"
    assert stages[-1].attrs["data-status"] == "not_reached"


def test_dtb_overlapping_root_task_shows_crossing_boxes(reports):
    _, verdict, dom, _ = reports["dtb-overlaps-user"]
    svg = dom.root.find_all("svg", cls="memmap")[0]
    dtb = svg.find_all("g", cls="region", data_kind="dtb")
    user = svg.find_all("g", cls="region", data_kind="user")
    assert len(dtb) == 1 and len(user) == 1
    dx, dy, dw, dh = rect_of(dtb[0])
    ux, uy, uw, uh = rect_of(user[0])
    # Crossing: they share area, and neither box holds the other.
    assert dx < ux + uw and ux < dx + dw and dy < uy + uh and uy < dy + dh
    assert dx + dw > ux + uw, "the DTB box should stick out of the root task's box"
    overlap = svg.find_all("g", cls="overlap")
    assert [(o.attrs["data-a"], o.attrs["data-b"]) for o in overlap] == [("root task [x0, x1)", "DTB")]
    assert overlap[0].find_all("rect")[0].attrs["fill"] == "url(#hatch)"
    x = verdict["emulation"]["x"]
    title = overlap[0].find_all("title")[0].all_text()
    assert f"[0x{x[4]:x}, 0x{x[4] + x[5]:x})" in title


def test_rootserver_store_is_a_red_mark_at_its_address(reports):
    _, verdict, dom, _ = reports["write-rootserver"]
    svg = dom.root.find_all("svg", cls="memmap")[0]
    rs = svg.find_all("g", cls="region", data_kind="rootserver")[0]
    start, end = int(rs.attrs["data-start"], 16), int(rs.attrs["data-end"], 16)
    marks = svg.find_all("g", cls="mark", data_kind="stray")
    assert marks, "no stray store marked"
    for m in marks:
        assert start <= int(m.attrs["data-start"], 16) < end
        assert m.find_all("rect")[0].attrs["fill"] == RED


def test_short_x1_leaves_three_free_regions_in_the_map(reports):
    _, verdict, dom, _ = reports["x1-page-short"]
    svg = dom.root.find_all("svg", cls="memmap")[0]
    free = svg.find_all("g", cls="region", data_kind="free")
    assert len(free) == 3
    x = verdict["emulation"]["x"]
    assert {int(g.attrs["data-start"], 16) for g in free} >= {x[1]}


def test_smp_kernel_gets_one_lane_per_core(tmp_path):
    """Our loader with the 4-core stand-in: a lane per core, each green from
    CPU_ON to the kernel's entry."""
    if browser.CHROMIUM is None:
        pytest.skip("chromium is not installed (make deps installs Debian's chromium)")
    kernel = os.path.join(BUILD, "targets", "standin", "kernel-smp4.elf")
    # The same image and check as test_smp_loader.py's four-core check: made once per run.
    image = packed_once(tmp_path, kernel, Artifacts.roottask)
    r, _, report = run_check(tmp_path, image, seconds=15)
    assert r.returncode == 0, r.stdout + r.stderr
    dom = Dom(browser.dump_dom(report / "report.html"))
    lanes = dom.root.find_all("svg", cls="bootchain")[0].find_all("g", cls="lane")
    assert [l.attrs["data-core"] for l in lanes] == ["0", "1", "2", "3"]
    for lane in lanes:
        rects = lane.find_all("rect")
        assert [x.attrs["data-status"] for x in rects] == ["pass", "pass"]
        assert {x.attrs["stroke"] for x in rects} == {GREEN}


@pytest.mark.parametrize("name", ["good", "dtb-overlaps-user"])
def test_screenshot_is_rendered(reports, name, tmp_path):
    from test_report_chromium import png_pixels
    *_, d = reports[name]
    png = browser.screenshot(d / "report.html", tmp_path / f"{name}.png", 1280, 1000)
    width, height, distinct = png_pixels(pathlib.Path(png))
    assert (width, height) == (1280, 1000) and distinct > 16
