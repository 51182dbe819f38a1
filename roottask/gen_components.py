#!/usr/bin/python3
"""Generates the root task's component registry from a TOML manifest.

    gen_components.py MANIFEST --build DIR --out-c FILE.c --out-s FILE.S [--depfile FILE.d]

The manifest lists [[object]] and [[component]] tables:

    [[object]]
    name = "channel"                     # [a-z][a-z0-9_]*, unique among objects
    type = "endpoint"                    # endpoint, notification or frame (one 4 KiB page)

    [[component]]
    name   = "system_init"                        # [a-z][a-z0-9_]*, unique
    elf    = "${BUILD}/roottask/system_init.elf"  # ${BUILD} = --build; else relative to the cwd
    parent = "roottask"                           # "roottask" or another component's name
    cnode_bits  = 8                               # its CNode: 2^cnode_bits slots (default 4)
    priority    = 254                             # below its parent's (default: parent's - 1)
    budget_us   = 10000                           # MCS: its SchedContext's budget (default: period_us)
    period_us   = 10000                           # MCS: ... every period (default 10000)
    memory_bits = 21                              # with "untyped": 2^memory_bits bytes
    caps = ["cnode", "vspace", "untyped", "asid_pool",          # its own objects, delegation
            "sched_control",                                    # MCS: to give children SchedContexts
            "reply", "sched_context",                           # MCS: a Reply object; its own SC
            { endpoint = "channel", rights = ["write", "grant_reply"], badge = 0x11 },
            { notification = "ready", rights = ["read"] }]
    frames = [{ frame = "shared", rights = ["read", "write"] }]

Slot 1 of every component holds its parent's endpoint (write + grant-reply,
badged for it: hello, done and, as its fault endpoint, faults); the caps
fill slots 2, 3, ... in order; every other slot is empty. Frames are mapped
at COMPONENT_FRAME_BASE, one page each, in order. An object is created by
the parent of the components that use it, which must all share that
parent. A component with children must hold tcb (its own: the authority for its
children's priorities; its priority is also its MCP), cnode, vspace, untyped,
asid_pool and sched_control, be a child of the root task, and its children
must fit in its untyped.

On an MCS kernel every component's thread runs on a SchedContext of its own
(budget_us every period_us, configured by its parent through SchedControl);
"sched_context" also puts that SchedContext's cap in the component's CSpace,
"reply" gives it a Reply object (needed to receive Calls it answers),
"sched_control" its parent's SchedControl cap. These three are MCS-only:
on a non-MCS kernel their slots stay empty (the same ELF runs on both).

FILE.S embeds each ELF (.incbin), FILE.c holds the table roottask/components.h
declares, all in the .registry section. Any problem stops the build with one
line naming the manifest and what is wrong; nothing is written then."""

import argparse
import os
import re
import struct
import sys
import tomllib

OWN_CAPS = {"tcb": "COMPONENT_CAP_TCB", "cnode": "COMPONENT_CAP_CNODE",
            "vspace": "COMPONENT_CAP_VSPACE", "untyped": "COMPONENT_CAP_UNTYPED",
            "asid_pool": "COMPONENT_CAP_ASID_POOL", "reply": "COMPONENT_CAP_REPLY",
            "sched_context": "COMPONENT_CAP_SCHED_CONTEXT",
            "sched_control": "COMPONENT_CAP_SCHED_CONTROL"}
PARENT_CAPS = ("tcb", "cnode", "vspace", "untyped", "asid_pool", "sched_control")   # what spawning needs
ROOT_PRIORITY = 255               # the root task's priority and MCP (seL4_MaxPrio)
OBJECT_TYPES = {"endpoint": "REGISTRY_OBJECT_ENDPOINT",
                "notification": "REGISTRY_OBJECT_NOTIFICATION",
                "frame": "REGISTRY_OBJECT_FRAME"}
RIGHTS = {"write": 1, "read": 2, "grant": 4, "grant_reply": 8}   # seL4_CapRights bits
MAX_CAPS = 11                     # COMPONENT_MAX_CAPS in components.h
MAX_FRAMES = 4                    # COMPONENT_MAX_FRAMES
NAME = re.compile(r"[a-z][a-z0-9_]{0,30}\Z")
ROOT = "roottask"
KEYS = {"name", "elf", "parent", "caps", "frames", "cnode_bits", "memory_bits", "priority",
        "budget_us", "period_us"}
OBJECT_KEYS = {"name", "type"}
PAGE = 0x1000
# Kernel object sizes, the largest any release and configuration of
# targets/abi/sel4-abi.toml has (VSpace: the hyp build's 2^13; notification:
# MCS's 2^6; a SchedContext and a Reply object per child, which only MCS
# makes), and what spawning one child costs besides its pages: the spawn.c
# estimate, so a manifest the build accepts is one the parent can spawn.
TCB, VSPACE, SLOT, ENDPOINT, NOTIFICATION = 1 << 11, 1 << 13, 1 << 5, 1 << 4, 1 << 6
SCHED_CONTEXT, REPLY = 1 << 7, 1 << 5
DEFAULT_PERIOD_US = 10000
TIME_US = range(100, 10_000_001)  # budgets and periods a manifest may ask for
STACK_PAGES = 4                   # COMPONENT_STACK_PAGES
DEFAULT_CNODE_BITS = 4
MEMORY_BITS = range(16, 31)
CNODE_BITS = range(2, 13)


class ManifestError(Exception):
    pass


def load(path, build):
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise ManifestError("manifest not found")
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"not valid TOML: {e}")
    extra = set(doc) - {"component", "object"}
    if extra:
        raise ManifestError(f"unknown top-level key(s) {sorted(extra)}; "
                            "only [[component]] and [[object]] tables")
    for key in ("component", "object"):
        if not isinstance(doc.get(key, []), list):
            raise ManifestError(f"'{key}' must be an array of tables ([[{key}]])")
    objects = [check_object(i, o) for i, o in enumerate(doc.get("object", []), 1)]
    comps = [check_entry(i, e, build) for i, e in enumerate(doc.get("component", []), 1)]
    check_names(comps, objects)
    check_tree(comps)
    assign_owners(comps, objects)
    check_memory(comps, objects)
    return comps, objects


def table_where(kind, number, entry, keys):
    """How errors name a [[kind]] table (by its name once it has one), after
    checking it is a table with only the allowed keys."""
    where = f"{kind} #{number}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: not a table")
    if isinstance(entry.get("name"), str):
        where = f"{kind} '{entry['name']}'"
    unknown = set(entry) - keys
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(keys)}")
    return where


def check_object(number, entry):
    where = table_where("object", number, entry, OBJECT_KEYS)
    if not isinstance(entry.get("name"), str) or not NAME.match(entry["name"]):
        raise ManifestError(f"{where}: 'name' must match [a-z][a-z0-9_]* (at most 31 characters)")
    if entry.get("type") not in OBJECT_TYPES:
        raise ManifestError(f"{where}: 'type' must be one of {sorted(OBJECT_TYPES)}")
    return {"name": entry["name"], "type": entry["type"], "users": []}


def rights_word(where, rights):
    if not isinstance(rights, list) or not all(r in RIGHTS for r in rights):
        raise ManifestError(f"{where}: 'rights' must be a list of {sorted(RIGHTS)}")
    word = 0
    for r in rights:
        word |= RIGHTS[r]
    return word


def check_cap(where, cap):
    if isinstance(cap, str):
        if cap not in OWN_CAPS:
            raise ManifestError(f"{where}: unknown cap '{cap}'; known: {sorted(OWN_CAPS)} "
                                "or a table naming an endpoint or notification object")
        return {"own": cap}
    if not isinstance(cap, dict):
        raise ManifestError(f"{where}: a cap is a string or a table")
    kinds = [k for k in ("endpoint", "notification") if k in cap]
    unknown = set(cap) - {"endpoint", "notification", "rights", "badge"}
    if len(kinds) != 1 or unknown:
        raise ManifestError(f"{where}: a cap table has one of 'endpoint' or 'notification' "
                            "(the object's name), 'rights' and an optional 'badge'")
    badge = cap.get("badge", 0)
    if not isinstance(badge, int) or not 0 <= badge < 1 << 64:
        raise ManifestError(f"{where}: 'badge' must be an integer in [0, 2^64)")
    return {"type": kinds[0], "object": cap[kinds[0]],
            "rights": rights_word(where, cap.get("rights", [])), "badge": badge}


def check_frame(where, frame):
    if not isinstance(frame, dict) or set(frame) - {"frame", "rights"} or "frame" not in frame:
        raise ManifestError(f"{where}: a frame is a table with 'frame' (the object's name) and 'rights'")
    rights = rights_word(where, frame.get("rights", ["read"]))
    if not rights & RIGHTS["read"] or rights & ~(RIGHTS["read"] | RIGHTS["write"]):
        raise ManifestError(f"{where}: frame rights are [\"read\"] or [\"read\", \"write\"]")
    return {"type": "frame", "object": frame["frame"], "rights": rights}


def check_entry(number, entry, build):
    where = table_where("component", number, entry, KEYS)
    for key in ("name", "elf", "parent"):
        if not isinstance(entry.get(key), str):
            raise ManifestError(f"{where}: '{key}' (a string) is required")
    if not NAME.match(entry["name"]) or entry["name"] == ROOT:
        raise ManifestError(f"{where}: name must match [a-z][a-z0-9_]* (at most 31 characters) "
                            f"and not be '{ROOT}'")
    elf = entry["elf"].replace("${BUILD}", build)
    if not os.path.isfile(elf):
        raise ManifestError(f"{where}: ELF file '{elf}' does not exist")
    with open(elf, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise ManifestError(f"{where}: '{elf}' is not an ELF file")
    caps, frames = entry.get("caps", []), entry.get("frames", [])
    if not isinstance(caps, list) or not isinstance(frames, list):
        raise ManifestError(f"{where}: 'caps' and 'frames' must be lists")
    caps = [check_cap(f"{where}: cap #{i}", c) for i, c in enumerate(caps, 1)]
    frames = [check_frame(f"{where}: frame #{i}", f) for i, f in enumerate(frames, 1)]
    own = [c["own"] for c in caps if "own" in c]
    if len(set(own)) != len(own):
        raise ManifestError(f"{where}: a cap is listed twice in {own}")
    if len(caps) > MAX_CAPS or len(frames) > MAX_FRAMES:
        raise ManifestError(f"{where}: {len(caps)} caps and {len(frames)} frames; "
                            f"at most {MAX_CAPS} and {MAX_FRAMES}")
    cnode_bits = entry.get("cnode_bits", DEFAULT_CNODE_BITS)
    if cnode_bits not in CNODE_BITS or not 1 << cnode_bits > len(caps) + 1:
        raise ManifestError(f"{where}: cnode_bits must be in [{CNODE_BITS[0]}, {CNODE_BITS[-1]}] "
                            f"with room for slot 1 and {len(caps)} caps")
    memory_bits = entry.get("memory_bits")
    if ("untyped" in own) != (memory_bits is not None):
        raise ManifestError(f"{where}: 'memory_bits' goes with the 'untyped' cap, and only with it")
    if memory_bits is not None and memory_bits not in MEMORY_BITS:
        raise ManifestError(f"{where}: memory_bits must be in [{MEMORY_BITS[0]}, {MEMORY_BITS[-1]}]")
    priority = entry.get("priority")
    if priority is not None and (not isinstance(priority, int) or not 1 <= priority < ROOT_PRIORITY):
        raise ManifestError(f"{where}: priority must be in [1, {ROOT_PRIORITY - 1}]")
    period = entry.get("period_us", DEFAULT_PERIOD_US)
    budget = entry.get("budget_us", period)
    for key, value in (("period_us", period), ("budget_us", budget)):
        if not isinstance(value, int) or isinstance(value, bool) or value not in TIME_US:
            raise ManifestError(f"{where}: {key} must be an integer in [{TIME_US[0]}, {TIME_US[-1]}] "
                                "(microseconds)")
    if budget > period:
        raise ManifestError(f"{where}: budget_us {budget} is more than period_us {period}")
    return {"name": entry["name"], "elf": os.path.abspath(elf), "parent": entry["parent"],
            "caps": caps, "frames": frames, "own": own, "cnode_bits": cnode_bits,
            "memory_bits": memory_bits or 0, "priority": priority, "budget_us": budget,
            "period_us": period}


def check_names(comps, objects):
    for kind, items in (("component", comps), ("object", objects)):
        seen = {}
        for number, c in enumerate(items, 1):
            if c["name"] in seen:
                raise ManifestError(f"duplicate {kind} name '{c['name']}' "
                                    f"({kind}s #{seen[c['name']]} and #{number})")
            seen[c["name"]] = number
    names = {c["name"] for c in comps}
    for c in comps:
        if c["parent"] == c["name"]:
            raise ManifestError(f"component '{c['name']}': is its own parent")
        if c["parent"] != ROOT and c["parent"] not in names:
            raise ManifestError(f"component '{c['name']}': unknown parent '{c['parent']}' "
                                f"(not '{ROOT}' nor a component of this manifest)")


def check_tree(comps):
    by_name = {c["name"]: c for c in comps}
    for c in comps:
        chain, at = [c["name"]], c["parent"]
        while at != ROOT:
            if at in chain:
                loop = " -> ".join(chain[chain.index(at):] + [at])
                raise ManifestError(f"component '{c['name']}': parent cycle {loop}")
            chain.append(at)
            at = by_name[at]["parent"]
    for c in comps:
        if c["parent"] != ROOT:
            parent = by_name[c["parent"]]
            missing = [k for k in PARENT_CAPS if k not in parent["own"]]
            if missing:
                raise ManifestError(f"component '{c['name']}': its parent '{parent['name']}' "
                                    f"cannot spawn it without the caps {missing}")
            if parent["parent"] != ROOT:
                raise ManifestError(f"component '{c['name']}': its parent '{parent['name']}' is "
                                    "not a child of the root task; only those get the registry "
                                    "mapped, so only they can spawn")
    # Priorities, parents first: the root task's children default to 254
    # (COMPONENT_PRIORITY), others to one below their parent; a child runs
    # below its parent, whose priority is also its MCP (the most it can give).
    for c in comps:
        chain, at = [], c
        while at["parent"] != ROOT:
            chain.append(at)
            at = by_name[at["parent"]]
        chain.append(at)
        parent_priority = ROOT_PRIORITY
        for node in reversed(chain):
            if node["priority"] is None:
                node["priority"] = parent_priority - 1
            if node["priority"] >= parent_priority:
                raise ManifestError(f"component '{node['name']}': priority {node['priority']} "
                                    f"is not below its parent's {parent_priority}")
            parent_priority = node["priority"]


def assign_owners(comps, objects):
    by_name = {o["name"]: o for o in objects}
    for c in comps:
        for ref in c["caps"] + c["frames"]:
            if "object" not in ref:
                continue
            o = by_name.get(ref["object"])
            if o is None:
                raise ManifestError(f"component '{c['name']}': a cap names object '{ref['object']}', "
                                    "which the manifest does not declare")
            if o["type"] != ref["type"]:
                raise ManifestError(f"component '{c['name']}': object '{o['name']}' is a "
                                    f"{o['type']}; the cap is for {ref['type']} objects")
            o["users"].append(c)
    for o in objects:
        parents = sorted({u["parent"] for u in o["users"]})
        if not parents:
            raise ManifestError(f"object '{o['name']}': no component uses it")
        if len(parents) > 1:
            raise ManifestError(f"object '{o['name']}': used by children of {parents}; "
                                "an object is made by one parent for its own children")
        o["owner"] = parents[0]


def elf_spans(path):
    """(first page, end page) of each PT_LOAD of a little-endian ELF64."""
    with open(path, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    spans = []
    for i in range(phnum):
        p_type, _, _, vaddr, _, _, memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and memsz:
            spans.append((vaddr // PAGE, (vaddr + memsz + PAGE - 1) // PAGE))
    return spans


def child_bytes(c):
    """What the parent retypes for one child (spawn.c's bytes_needed)."""
    pages, tables = STACK_PAGES + 1, 2 * 3
    for first, end in elf_spans(c["elf"]):
        pages += end - first
        tables += 3 + (end - first) * PAGE // (2 << 20)
    cnode = SLOT << c["cnode_bits"]
    untyped = 1 << c["memory_bits"] if c["memory_bits"] else 0
    # The parent fills the ELF pages through a window in its own VSpace.
    return (pages + tables) * PAGE + VSPACE + TCB + cnode + untyped + SCHED_CONTEXT + REPLY, pages


def check_memory(comps, objects):
    for parent in comps:
        if not parent["memory_bits"]:
            continue
        kids = [c for c in comps if c["parent"] == parent["name"]]
        need = sum(child_bytes(c)[0] for c in kids) + 3 * PAGE   # its window's page tables
        for o in objects:
            if o["owner"] == parent["name"]:
                need += {"endpoint": ENDPOINT, "notification": NOTIFICATION, "frame": PAGE}[o["type"]]
        have = 1 << parent["memory_bits"]
        if need > have:
            raise ManifestError(f"component '{parent['name']}': its children "
                                f"{[c['name'] for c in kids]} need 0x{need:x} bytes, more than "
                                f"its memory_bits = {parent['memory_bits']} gives (0x{have:x})")


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_c(comps, objects, manifest):
    index = {c["name"]: i for i, c in enumerate(comps)}
    object_index = {o["name"]: i for i, o in enumerate(objects)}
    owner = lambda name: "REGISTRY_OWNER_ROOT" if name == ROOT else str(index[name])
    out = [f"/* Generated by roottask/gen_components.py from {manifest}: do not edit. */",
           '#include "components.h"', "", "#define REGISTRY __attribute__((section(\".registry\")))", ""]
    for i, _ in enumerate(comps):
        out.append(f"extern const uint8_t component_elf_{i}[], component_elf_{i}_end[];")
    out += ["", "static const struct registry_object registry_objects[] REGISTRY = {"]
    for o in objects:
        out.append(f"    {{ {c_string(o['name'])}, {OBJECT_TYPES[o['type']]}, {owner(o['owner'])} }},")
    if not objects:
        out.append("    { \"\", 0, 0 },   /* C forbids an empty array; n_objects is 0 */")
    out += ["};", "", "static const struct component registry_components[] REGISTRY = {"]
    for i, c in enumerate(comps):
        caps = []
        for cap in c["caps"]:
            if "own" in cap:
                caps.append(f"{{ {OWN_CAPS[cap['own']]}, 0, 0, 0 }}")
            else:
                caps.append(f"{{ COMPONENT_CAP_OBJECT, {object_index[cap['object']]}, "
                            f"{cap['rights']}, 0x{cap['badge']:x}ull }}")
        frames = [f"{{ {object_index[f['object']]}, {f['rights']} }}" for f in c["frames"]]
        out.append(f"    {{ {c_string(c['name'])}, {owner(c['parent'])}, {c['cnode_bits']}, "
                   f"{c['memory_bits']}, {c['priority']}, {c['budget_us']}, {c['period_us']}, "
                   f"component_elf_{i}, component_elf_{i}_end,")
        out.append(f"      {len(caps)}, {{ {', '.join(caps) or '{ 0, 0, 0, 0 }'} }},")
        out.append(f"      {len(frames)}, {{ {', '.join(frames) or '{ 0, 0 }'} }} }},")
    if not comps:
        out.append("    { \"\", 0, 0, 0, 0, 0, 0, 0, 0, 0, { { 0, 0, 0, 0 } }, 0, { { 0, 0 } } },")
    out += ["};", "",
            "const struct registry registry REGISTRY = {",
            f"    {len(comps)}, {len(objects)}, registry_components, registry_objects,", "};"]
    return "\n".join(out) + "\n"


def loadable_copy(elf, out_dir):
    """What spawning needs of an ELF: its headers and the file bytes of its
    segments, without the sections after them (symbols, debug info), which
    would only grow the root task, the loader's copying and the registry
    pages a spawning component maps. The section table is dropped with them."""
    with open(elf, "rb") as f:
        data = bytearray(f.read())
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    end = phoff + phentsize * phnum
    for i in range(phnum):
        _, _, offset, _, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        end = max(end, offset + filesz)
    data = data[:end]
    struct.pack_into("<Q", data, 0x28, 0)             # e_shoff
    struct.pack_into("<HHH", data, 0x3a, 0, 0, 0)     # e_shentsize, e_shnum, e_shstrndx
    path = os.path.join(out_dir, os.path.basename(elf) + ".load")
    with open(path, "wb") as f:
        f.write(data)
    return path


def render_s(comps, manifest, out_dir):
    out = [f"/* Generated by roottask/gen_components.py from {manifest}: do not edit. */",
           '    .section .registry, "a"']
    for i, c in enumerate(comps):
        out += ["    .balign 16", f"    .global component_elf_{i}, component_elf_{i}_end",
                f"component_elf_{i}:", f"    .incbin {c_string(loadable_copy(c['elf'], out_dir))}",
                f"component_elf_{i}_end:"]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("manifest")
    ap.add_argument("--build", required=True, help="what ${BUILD} stands for in elf paths")
    ap.add_argument("--out-c", required=True)
    ap.add_argument("--out-s", required=True)
    ap.add_argument("--depfile")
    args = ap.parse_args()
    try:
        comps, objects = load(args.manifest, args.build)
    except ManifestError as e:
        print(f"gen_components: error: {args.manifest}: {e}", file=sys.stderr)
        return 1
    for path, text in ((args.out_c, render_c(comps, objects, args.manifest)),
                       (args.out_s, render_s(comps, args.manifest,
                                              os.path.dirname(os.path.abspath(args.out_s))))):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    if args.depfile:
        deps = [args.manifest] + [c["elf"] for c in comps]
        with open(args.depfile, "w") as f:
            f.write(f"{args.out_c} {args.out_s}: {' '.join(deps)}\n")
            # An empty rule per input (like gcc -MP): a manifest or ELF that
            # is gone later must not break make before it can regenerate.
            f.writelines(f"{d}:\n" for d in deps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
