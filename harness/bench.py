#!/usr/bin/python3
"""Boot-cost benchmark (`make bench`): guest instructions per boot stage for
the project's loader with the stand-in kernel and root task, with a real seL4
kernel when given, and side by side with another loader image for the same
kernel and root task; plus how long the harness itself takes. Writes
reports/bench.md and reports/bench.json."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bootcheck.boot import insn_trace, qemu  # noqa: E402
from bootcheck.check import checkrun  # noqa: E402
from bootcheck.cost import bootcost, costtrend, loader_phases, rv_bench  # noqa: E402
from bootcheck.kernel import expect, target  # noqa: E402
from bootcheck.pack import images  # noqa: E402
from bootcheck.pack.images import ROOT  # noqa: E402
from bootcheck.reports import checkreport  # noqa: E402


def payload_bytes(kernel, roottask):
    """What the loader has to place: both ELFs' loaded sizes."""
    return sum(s[4] for path in (kernel, roottask) for s in expect.elf_facts(path).segments)


def measure(label, image, kernel, roottask):
    # chain: also count up to the root task's boot-chain summary (every
    # component it and system_init spawned has ended).
    cost = bootcost.measure(image, kernel, roottask, label=label, chain=True)
    d = cost.as_dict()
    d["payload_bytes"] = payload_bytes(kernel, roottask)
    d["notes"] = cost.notes
    # Where the loader stage goes, phase by phase (breakpoints only).
    d["loader_phases"] = loader_phases.measure(image, kernel, label=label).as_dict()
    return d


def timed(fn):
    start = time.monotonic()
    value = fn()
    return value, round(time.monotonic() - start, 2)


def harness_timings(image, build, time_verify, other_image=None):
    t = {}
    boot, t["one_qemu_boot_s"] = timed(lambda: qemu.boot(
        image, timeout=60, stop_patterns=qemu.DEFAULT_STOP_PATTERNS + ("roottask: boot OK",)))
    t["one_qemu_boot_ended"] = boot.describe().split(";")[0]
    kernel = os.path.join(build, "targets", "standin", "kernel.elf")
    roottask = os.path.join(build, "roottask", "roottask.elf")
    _, t["bootcost_one_image_s"] = timed(lambda: bootcost.measure(image, kernel, roottask))
    entry = expect.elf_facts(kernel).entry
    _, t["exec_trace_loader_stage_s"] = timed(lambda: insn_trace.count_to_pc(image, entry))
    emu_check = os.path.join(build, "harness", "emu-check")
    if os.access(emu_check, os.X_OK):
        with tempfile.TemporaryDirectory() as d:
            proc, t["unicorn_emu_check_one_image_s"] = timed(lambda: subprocess.run(
                [emu_check, image, "--json", os.path.join(d, "emu.json")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300))
            t["unicorn_emu_check_exit"] = proc.returncode
    # One `bootcheck check` (Unicorn + QEMU/GDB + judgement) of the same image;
    # and of OTHER_IMAGE when given (e.g. seL4's stock elfloader).
    for label, img in (("ours", image), ("other", other_image)):
        if img:
            try:
                with tempfile.TemporaryDirectory() as d:
                    v, t[f"bootcheck_check_{label}_s"] = timed(lambda: checkrun.check(img))
                    checkreport.write_all(v, d)
                t[f"bootcheck_check_{label}_verdict"] = v.diagnosis_line().split(":")[1].strip()
            except checkrun.CheckError as e:
                t[f"bootcheck_check_{label}_verdict"] = f"not checked: {e}"
    if time_verify:
        proc, t["make_verify_s"] = timed(lambda: subprocess.run(
            ["make", "-C", ROOT, "--no-print-directory", "verify"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        t["make_verify_exit"] = proc.returncode
    return t


def side_by_side(ours, other):
    """Per stage: instructions spent in it by both images, and other/ours; the
    kernel stages should match, the loader stage is what differs."""
    theirs = dict(bootcost.stage_deltas(other))
    rows = []
    for name, a in bootcost.stage_deltas(ours):
        b = theirs.get(name)
        rows.append({"stage": name, "ours": a, "other": b,
                     "ratio": round(b / a, 2) if a and b is not None else None})
    total = [c["stages"][-1]["instructions"] for c in (ours, other)]
    rows.append({"stage": "total to root task", "ours": total[0], "other": total[1],
                 "ratio": round(total[1] / total[0], 2) if all(total) else None})
    return rows


def render_md(result):
    fmt = lambda n: "not reached" if n is None else f"{n:,}"   # noqa: E731
    out = ["# bootcheck boot-cost benchmark", "",
           "Guest instructions from reset (QEMU record/replay icount: identical on every "
           "run and machine). Images are packed like `make image` (no payload DTB: the "
           "loader uses QEMU's).", "",
           "| image | payload bytes | " + " | ".join(bootcost.STAGE_NAMES) + " |",
           "|---|---:|" + "---:|" * len(bootcost.STAGE_NAMES)]
    for c in result["images"]:
        counts = {s["name"]: s["instructions"] for s in c["stages"]}
        out.append(f"| {c['label']} | {c['payload_bytes']:,} | " +
                   " | ".join(fmt(counts.get(n)) for n in bootcost.STAGE_NAMES) + " |")
    out += ["", "## Boot chain (single core)", "",
            "Guest instructions from the root task's first instruction to its summary of the "
            "boot chain (root task -> system_init -> ipc_producer / ipc_consumer, every "
            "component ended): the root task's checks, the spawns, the IPC.", "",
            "| image | root task entry to components done |", "|---|---:|"]
    for c in result["images"]:
        deltas = dict(bootcost.stage_deltas(c))
        out.append(f"| {c['label']} | {fmt(deltas.get(bootcost.CHAIN_STAGE))} |")
    phases = loader_phases.render_md([(c["label"], c.get("loader_phases")) for c in result["images"]])
    if phases:
        out += ["", "## Loader stage by phase", "",
                "Guest instructions from reset to the kernel's entry, split at the loader's "
                "functions by gdb breakpoints under the same counter "
                "(`harness/bootcheck/cost/loader_phases.py`); a call nested in a phase counts "
                "in it, `other` is what no phase covers.", ""] + phases
    if result.get("comparison"):
        cmp = result["comparison"]
        out += ["", f"## {cmp['other']} vs {cmp['ours']}", "",
                "| instructions in stage | ours | other | other / ours |", "|---|---:|---:|---:|"]
        for r in cmp["rows"]:
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
            out.append(f"| {r['stage']} | {fmt(r['ours'])} | {fmt(r['other'])} | {ratio} |")
    out += ["", "## Harness wall time (this machine)", "", "| what | value |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in result["timings"].items()]
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--roottask", default=None, help="default: the project's root task")
    ap.add_argument("--sel4-kernel", default="")
    ap.add_argument("--other-image", default="",
                    help="another loader image packing the same kernel and root task")
    ap.add_argument("--other-kernel", default="",
                    help="the kernel inside --other-image (default: --sel4-kernel, else stand-in)")
    ap.add_argument("--time-verify", action="store_true", help="also time `make verify` (slow)")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "reports"))
    args = ap.parse_args(argv)

    build = os.path.abspath(args.build)
    if args.sel4_kernel and target.read(args.sel4_kernel).arch == "riscv64":
        return riscv_bench(build, args)      # its own measure (bootcheck.cost.rv_bench)
    standin = os.path.join(build, "targets", "standin", "kernel.elf")
    roottask = os.path.abspath(args.roottask or os.path.join(build, "roottask", "roottask.elf"))
    sel4 = os.path.abspath(args.sel4_kernel) if args.sel4_kernel else ""
    result = {"images": [], "timings": {}}
    before = costtrend.conditions()
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        ours = {}           # kernel path -> (image, measurement) with our loader

        def ours_for(kernel, label):
            if kernel not in ours:
                image = images.pack_ok(kernel, roottask,
                                       os.path.join(work, f"ours{len(ours)}.elf"))
                ours[kernel] = (image, measure(label, image, kernel, roottask))
                result["images"].append(ours[kernel][1])
            return ours[kernel]

        ours_for(standin, "bootcheck loader + stand-in")
        if sel4:
            ours_for(sel4, "bootcheck loader + seL4")
        if args.other_image:
            kernel = os.path.abspath(args.other_kernel or sel4 or standin)
            _, mine = ours_for(kernel, f"bootcheck loader + {os.path.basename(kernel)}")
            other = measure(f"other: {os.path.basename(args.other_image)}",
                            args.other_image, kernel, roottask)
            result["images"].append(other)
            result["comparison"] = {"ours": mine["label"], "other": other["label"],
                                    "rows": side_by_side(mine, other)}
        # The riscv64 loader on the riscv64 stand-in, for the cost trend.
        result[costtrend.RISCV64_PROPERTY], _ = costtrend.measure_riscv64(build, work)
        result["timings"] = harness_timings(ours[standin][0], build, args.time_verify,
                                            os.path.abspath(args.other_image) if args.other_image else None)
    os.makedirs(args.out_dir, exist_ok=True)
    # The cost trend (reports/cost-history.json): this commit's entry, when
    # the boot measured is the project's own.
    commit, history = costtrend.head(), costtrend.load()
    if not args.roottask:
        result["trend"] = costtrend.bench_metrics(result, before, costtrend.conditions(),
                                                  **costtrend.verify_run_wall(commit))
        costtrend.record(history, commit, result["trend"])
        costtrend.save(history)
    with open(os.path.join(args.out_dir, "bench.json"), "w") as f:
        json.dump(result, f, indent=1)
    md = render_md(result)
    with open(os.path.join(args.out_dir, "bench.md"), "w") as f:
        f.write(md)
    print(md)
    for d in costtrend.compare(history, commit, {}):
        print(f"bench: cost trend: {'WORSE: ' if d.worse else ''}{d.line()}")
    unreached = [c["label"] for c in result["images"]
                 if any(s["instructions"] is None for s in c["stages"])]
    if unreached:
        print(f"bench: stages not reached by: {', '.join(unreached)}", file=sys.stderr)
        return 1
    return 0


def riscv_bench(build, args):
    """A riscv64 SEL4_KERNEL: our loader against OTHER_IMAGE (seL4's stock
    elfloader, default: stock-image.elf beside the kernel) on the same kernel
    and root task, in guest instructions to the kernel entry."""
    kernel = os.path.abspath(args.sel4_kernel)
    other = args.other_image or os.path.join(os.path.dirname(kernel), "stock-image.elf")
    if not os.path.isfile(other):
        print(f"bench: riscv64: no other loader image to compare with (OTHER_IMAGE=, or {other})", file=sys.stderr)
        return 2
    md, result = rv_bench.run(build, kernel, os.path.abspath(other),
                              os.path.abspath(args.roottask) if args.roottask else None)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "bench-riscv64.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(args.out_dir, "bench-riscv64.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    return 0 if result["ratio"] else 1


if __name__ == "__main__":
    sys.exit(main())
