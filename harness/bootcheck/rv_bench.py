"""`make bench` for a riscv64 kernel: our loader's guest instructions from
its entry (S-mode, as OpenSBI starts it) to the kernel's entry, against
another loader image (seL4's stock elfloader) packing the same kernel and
root task, counted by the riscv64 emu-check in one run (Unicorn: the count
is deterministic and excludes OpenSBI, which both images share)."""

import json
import os
import subprocess
import tempfile

from . import images, qemu_machine, target


def count(build, image, kernel, nodes, work, name):
    out = os.path.join(work, f"{name}.json")
    args = [os.path.join(build, "harness", "emu-check"), image, "--json", out]
    if kernel:
        args += ["--kernel", kernel]
    if nodes > 1:
        args += ["--qemu-dtb", qemu_machine.dump_arch_dtb(os.path.join(work, "q.dtb"), "riscv64", nodes)]
    subprocess.run(args, capture_output=True, text=True, timeout=300)
    with open(out) as f:
        rep = json.load(f)
    return {"image": image, "outcome": rep["outcome"], "message": rep["message"],
            "instructions": rep["instructions"] if rep["outcome"] == "reached_kernel" else None,
            "sbi": rep["observations"]["sbi"]}


def run(build, kernel, other_image, roottask=None):
    """Returns (markdown lines, result dict)."""
    nodes = target.read(kernel).nodes
    with tempfile.TemporaryDirectory(prefix="rvbench-") as work:
        if roottask is None:       # the root task the other image carries, so both pack the same
            subprocess.run([os.path.join(build, "harness", "emu-check"), other_image, "--extract", work],
                           check=True, capture_output=True, timeout=60)
            roottask = os.path.join(work, "roottask.elf")
        ours_image = images.pack_ok(kernel, roottask, os.path.join(work, "ours.elf"))
        ours = count(build, ours_image, None, nodes, work, "ours")
        other = count(build, other_image, kernel, nodes, work, "other")
    ours["image"] = "bootcheck riscv64 loader (make image)"
    rows = [f"| {r['image']} | {r['instructions'] if r['instructions'] is not None else r['message']} |"
            for r in (ours, other)]
    ratio = (other["instructions"] / ours["instructions"]
             if ours["instructions"] and other["instructions"] else None)
    md = [f"# Boot cost on riscv64: loader entry to kernel entry ({os.path.basename(os.path.dirname(kernel))}"
          f"/{os.path.basename(kernel)}, {nodes} hart{'s' if nodes > 1 else ''})", "",
          "| loader image | guest instructions (Unicorn, loader entry -> kernel entry) |", "|---|---|", *rows, ""]
    if ratio:
        md.append(f"bench: riscv64: our loader runs {ours['instructions']:,} instructions to the kernel entry, "
                  f"the other image {other['instructions']:,}: {ratio:.1f}x")
    return md, {"arch": "riscv64", "kernel": kernel, "ours": ours, "other": other, "ratio": ratio}
