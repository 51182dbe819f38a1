"""Pack loader images through the Makefile's own pack step, so tests build
images exactly the way users do (`make image`). Within one test run an
identical successful pack step is made once (bootcheck.pack.runcache)."""

import os
from dataclasses import dataclass

from . import runcache

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@dataclass
class PackResult:
    returncode: int
    output: str
    image: str


def pack(kernel, roottask, out, dtb=None, override=None, unchecked=False, mem=1024,
         handoff_record=None):
    """Run `make image`; returns the pack step's exit status and output.
    handoff_record: the kernel symbol of the opt-in hand-off record protocol."""
    env = dict(os.environ)
    if unchecked:
        env["PACK_UNCHECKED"] = "1"
    proc = runcache.make_image(["image", f"KERNEL={kernel}", f"ROOTTASK={roottask}", f"MEM={mem}",
                                f"DTB={dtb or ''}", f"OVERRIDE={override or ''}",
                                f"HANDOFF_RECORD={handoff_record or ''}"], out, env=env)
    return PackResult(proc.returncode, proc.stdout, str(out))


def pack_ok(kernel, roottask, out, **kw):
    r = pack(kernel, roottask, out, **kw)
    assert r.returncode == 0, f"packing failed:\n{r.output}"
    return r.image


def write_override(path, **regs):
    """A test-only hand-off override: write_override(p, x4=0x40230000)."""
    with open(path, "w") as f:
        for name, value in sorted(regs.items()):
            f.write(f"{name}=0x{value:x}\n")
    return str(path)
