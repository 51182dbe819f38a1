"""`make bench` for a riscv64 kernel: our loader's guest instructions from
its entry (S-mode, as OpenSBI starts it) to the kernel's entry, against
another loader image (seL4's stock elfloader) packing the same kernel and
root task, counted by the riscv64 emu-check in one run (Unicorn: the count
is deterministic and excludes OpenSBI, which both images share), and split
into the phases `make bench` shows for AArch64 (loader_phases.PHASE_TITLES)
by emu-check --phases: a phase is a set of the image's functions, a call
nested in one counts in it, `other` is what none covers."""

import json
import os
import subprocess
import tempfile

from ..boot import qemu_machine
from ..kernel import target
from ..pack import images
from . import loader_phases

# Our riscv64 loader (loader/arch/riscv64, loader/common): the DTB phase is
# the header check, the validating scan and reading its facts; load_elf's own
# loop (it calls memmove and memset per segment) is `other`.
OURS = {
    "main_symbol": "loader_main",
    "phases": [
        ("dtb", ("read_dtb", "fdt_header_check", "fdt_scan", "dtb_facts_from_scan")),
        ("validate_plan", ("check_where_linked", "find_members", "cpio_find_each", "validate_elf",
                           "elf_validate_machine", "plan_boot", "check_above_firmware")),
        ("copy", ("memmove", "memcpy")),
        ("zero", ("memset",)),
        ("tables", ("mmu_build_handoff",)),
        ("smp", ("smp_kernel_nodes", "smp_start_harts", "smp_release_harts")),
        ("console", ("console_printf", "bc_vformat", "sbi_console_putchar")),
    ],
}

# seL4's stock riscv64 elfloader (seL4_tools), by the function names its
# image carries; names a build lacks are skipped, and what none covers
# (load_images' and the ELF accessors' own code, main's) is `other`.
SEL4_ELFLOADER = {
    "main_symbol": "main",
    "phases": [
        ("dtb", ("fdt_size", "fdt_check_header", "fdt_check_full", "fdt_path_offset",
                 "fdt_getprop", "fdt_pack", "fdt_move", "fdt_open_into")),
        ("validate_plan", ("cpio_get_file", "cpio_get_entry", "cpio_info", "cpio_parse_header",
                           "elf_checkFile", "elf_getMemoryBounds", "ensure_phys_range_valid",
                           "regions_overlap", "get_phys_bounds")),
        ("copy", ("memcpy", "memmove")),
        ("zero", ("memset", "clear_bss")),
        ("tables", ("map_kernel_window", "init_boot_vspace")),
        ("smp", ("smp_boot", "boot_cpu", "init_cpus", "secondary_entry")),
        ("console", ("printf", "vprintf", "vxprintf", "puts", "putchar", "__fputc",
                     "plat_console_putchar", "sbi_console_putchar", "arch_write_char")),
    ],
}


def phase_spec(spec):
    """emu-check's --phases argument for a spec."""
    return ";".join([f"main={spec['main_symbol']}"] +
                    [f"{name}={','.join(syms)}" for name, syms in spec["phases"]])


def phases_of(rep, label):
    """A loader_phases.PhaseCost-like dict from emu-check's JSON."""
    ph = rep.get("phases")
    if not ph or rep["outcome"] != "reached_kernel":
        return None
    return {"label": label, "kernel_entry": rep["instructions"],
            "phases": [{"name": p["name"], "instructions": p["instructions"], "calls": p.get("calls")}
                       for p in ph["list"]],
            "symbols": {p["name"]: p["symbols"].split() for p in ph["list"] if p.get("symbols")},
            "missing_symbols": ph["missing_symbols"].split()}


def count(build, image, kernel, nodes, work, name, spec=None):
    out = os.path.join(work, f"{name}.json")
    # The riscv64 model itself (the AArch64 emu-check hands RISC-V images to
    # it, but knows no --phases).
    args = [os.path.join(build, "harness", "riscv64", "emu-check"), image, "--json", out]
    if spec:
        args += ["--phases", phase_spec(spec)]
    if kernel:
        args += ["--kernel", kernel]
    if nodes > 1:
        args += ["--qemu-dtb", qemu_machine.dump_arch_dtb(os.path.join(work, "q.dtb"), "riscv64", nodes)]
    subprocess.run(args, capture_output=True, text=True, timeout=300)
    with open(out) as f:
        rep = json.load(f)
    return {"image": image, "outcome": rep["outcome"], "message": rep["message"],
            "instructions": rep["instructions"] if rep["outcome"] == "reached_kernel" else None,
            "sbi": rep["observations"]["sbi"], "phases": phases_of(rep, name)}


def run(build, kernel, other_image, roottask=None):
    """Returns (markdown lines, result dict)."""
    nodes = target.read(kernel).nodes
    with tempfile.TemporaryDirectory(prefix="rvbench-") as work:
        if roottask is None:       # the root task the other image carries, so both pack the same
            subprocess.run([os.path.join(build, "harness", "emu-check"), other_image, "--extract", work],
                           check=True, capture_output=True, timeout=60)
            roottask = os.path.join(work, "roottask.elf")
        ours_image = images.pack_ok(kernel, roottask, os.path.join(work, "ours.elf"))
        ours = count(build, ours_image, None, nodes, work, "ours", OURS)
        other = count(build, other_image, kernel, nodes, work, "other", SEL4_ELFLOADER)
    ours["image"] = "bootcheck riscv64 loader (make image)"
    rows = [f"| {r['image']} | {r['instructions'] if r['instructions'] is not None else r['message']} |"
            for r in (ours, other)]
    ratio = (other["instructions"] / ours["instructions"]
             if ours["instructions"] and other["instructions"] else None)
    md = [f"# Boot cost on riscv64: loader entry to kernel entry ({os.path.basename(os.path.dirname(kernel))}"
          f"/{os.path.basename(kernel)}, {nodes} hart{'s' if nodes > 1 else ''})", "",
          "| loader image | guest instructions (Unicorn, loader entry -> kernel entry) |", "|---|---|", *rows, ""]
    phases = loader_phases.render_md([("bootcheck loader", ours["phases"]),
                                      (os.path.basename(other_image), other["phases"])])
    if phases:
        md += ["## Loader stage by phase", "",
               "Guest instructions of the boot hart from the loader's entry to the kernel's, split at "
               "the loader's functions (emu-check --phases; `bootcheck.cost.rv_bench`): a call nested in a "
               "phase counts in it, `other` is what no phase covers; `reset to C` is the loader's "
               "entry code up to its C entry.", "", *phases, ""]
    if ratio:
        md.append(f"bench: riscv64: our loader runs {ours['instructions']:,} instructions to the kernel entry, "
                  f"the other image {other['instructions']:,}: {ratio:.1f}x")
    return md, {"arch": "riscv64", "kernel": kernel, "ours": ours, "other": other, "ratio": ratio}
