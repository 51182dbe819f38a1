"""seL4's boot log, read in every release's words.

The text changed twice between 13.0 and 16.0 (src/kernel/boot.c,
src/arch/arm/kernel/boot.c at each tag):

- 13.0 prints regions as `[a..b]`, 14.0 on as `[a..b)` (also in
  `ERROR: DTB at [a..b) exceeds PADDR_TOP`, `ERROR: userland image virt
  [a..b)exceeds USER_TOP` and `no free memory slot left for [a..b),`); in
  every release b is the exclusive end.
- 16.0 capitalises `Available phys memory regions: N` and `Reserved virt
  address space regions: N`, and adds `  region [a..b) is outside the kernel
  window, only potentially available as device untypeds`, `  WARNING: cannot
  use region [a..b), avail_reg[] is full` and `ERROR: no available memory
  within the kernel window`.

`parse` reads any of these forms; `render` writes a 13.0-worded line in the
words of another release (what a scenario expects of that kernel).
"""

import re
from dataclasses import dataclass, field

REGION = r"\[(?P<start>[0-9a-f]+)\.\.(?P<end>[0-9a-f]+)(?P<close>[\])])"
AVAILABLE = re.compile(r"^(?P<word>[Aa])vailable phys memory regions: (?P<n>\d+)$")
RESERVED = re.compile(r"^(?P<word>[Rr])eserved virt address space regions: (?P<n>\d+)$")
REGION_LINE = re.compile(r"^  " + REGION + r"$")
OUTSIDE = re.compile(r"^  region " + REGION + r" is outside the kernel window, only potentially available "
                     r"as device untypeds$")
AVAIL_FULL = re.compile(r"^  WARNING: cannot use region " + REGION + r", avail_reg\[\] is full$")
NO_WINDOW_MEMORY = "ERROR: no available memory within the kernel window"
BOOTED = "Booting all finished, dropped to user space"


@dataclass
class BootLog:
    available: list = field(default_factory=list)    # [(start, end)] physical, end exclusive
    reserved: list = field(default_factory=list)     # [(start, end)] kernel virtual, end exclusive
    outside_window: list = field(default_factory=list)
    unusable: list = field(default_factory=list)     # 16.0's "avail_reg[] is full"
    errors: list = field(default_factory=list)       # "ERROR: ..." lines and failed assertions
    headers: dict = field(default_factory=dict)      # "available"/"reserved" -> count printed
    capitalised: bool | None = None                  # 16.0's headers
    half_open: bool | None = None                    # 14.0+'s [a..b)
    booted: bool = False

    def form(self):
        """The releases whose words this log uses, e.g. '16.0', '14.0-15.0', '13.0'."""
        if self.capitalised:
            return "16.0"
        if self.half_open:
            return "14.0-15.0"
        if self.half_open is False:
            return "13.0"
        return None

    def agrees_with(self, release):
        """Whether a kernel of this release (e.g. '16.0.0') prints this log's
        words (None when the log shows neither form)."""
        form = self.form()
        if form is None or release is None:
            return None
        major = int(release.split(".")[0])
        return {"16.0": major >= 16, "14.0-15.0": major in (14, 15), "13.0": major <= 13}[form]


def _region(m):
    return int(m["start"], 16), int(m["end"], 16)


def parse(serial):
    log = BootLog()
    section = None
    for raw in serial.splitlines():
        line = raw.rstrip("\r")
        m = AVAILABLE.match(line) or RESERVED.match(line)
        if m:
            section = "available" if m.re is AVAILABLE else "reserved"
            log.headers[section] = int(m["n"])
            log.capitalised = m["word"].isupper()
            continue
        m = REGION_LINE.match(line)
        if m and section:
            getattr(log, section).append(_region(m))
            log.half_open = m["close"] == ")"
            continue
        m = OUTSIDE.match(line)
        if m:
            log.outside_window.append(_region(m))
            continue
        m = AVAIL_FULL.match(line)
        if m:
            log.unusable.append(_region(m))
            continue
        section = None
        if line.startswith("ERROR") or "failed assertion" in line:
            log.errors.append(line.strip())
        if line == BOOTED:
            log.booted = True
            break
    return log


def render(line, release):
    """A boot-log line written in 13.0's words, in the words of `release`
    ('16.0.0'; None: unchanged). Regions close with ')' from 14.0, the two
    region-list headers start with a capital from 16.0."""
    if not release:
        return line
    major = int(release.split(".")[0])
    if major >= 14:
        line = re.sub(r"(\[[0-9a-f]+\.\.[0-9a-f]+)\]", r"\1)", line)
        line = re.sub(r"(\[\{[^}]+\}\.\.\{[^}]+\})\]", r"\1)", line)    # scenario templates
    if major >= 16:
        line = re.sub(r"^available phys memory regions", "Available phys memory regions", line)
        line = re.sub(r"^reserved virt address space regions", "Reserved virt address space regions", line)
    return line
