#!/usr/bin/python3
"""Compares the ABI table (sel4-abi.toml) with a real seL4 build's generated
libsel4 headers, number by number, and prints every mismatch with both
values.

    abi_check.py --include DIR [--release 16.0.0] [--kernel-build DIR]

DIR is the build's libsel4 include tree (one -I is enough: seL4's
`ninja install` of libsel4, or a copy of it). The architecture
(CONFIG_ARCH_AARCH64 or CONFIG_ARCH_RISCV64) and the configuration (MCS,
SMP, hyp) come from its gen_config.h; the release
from --release, else from a path component like 16.0.0 or a config.txt
beside DIR. What is compared: every invocation label and the three
nInvocationLabels counts, every syscall number, the object type numbers
and seL4_ObjectTypeCount, the object sizes, other constants, the error
codes, the initial cap slots, every seL4_BootInfo offset and its size,
the fault types and every fault message register. With --kernel-build
(the kernel's build directory), also the cap tags DebugCapIdentify
returns (the kernel's generated structures_gen.h; libsel4 does not have
them).

The headers are preprocessed and compiled by a C compiler for the build's
architecture's word size (AArch64: the host's `cc`, 64-bit like it;
riscv64: riscv64-linux-gnu-gcc, as libsel4's RISC-V headers hold RISC-V
assembly), into an object file whose data section holds every number,
which is read back without running anything. So the numbers are what C
makes of the build's own headers. Exit status: 0 when everything
matches, 1 on any mismatch, 2 when the check cannot be made (one line
says why)."""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sel4abi  # noqa: E402

# sel4/types.h brings the configuration first (the other headers test
# CONFIG_* without including it), then the syscall, object type, error,
# constant and fault enums of every layer.
HEADERS = ["sel4/types.h", "sel4/invocation.h", "sel4/sel4_arch/invocation.h",
           "sel4/arch/invocation.h", "sel4/bootinfo_types.h"]
# The table's constants and object sizes, as libsel4 names them.
CONSTANT_MACROS = {
    "PageBits": "seL4_PageBits", "SlotBits": "seL4_SlotBits",
    "PageTableIndexBits": "seL4_PageTableIndexBits", "ASIDPoolBits": "seL4_ASIDPoolBits",
    "NumASIDPoolsBits": "seL4_NumASIDPoolsBits", "ASIDPoolIndexBits": "seL4_ASIDPoolIndexBits",
    "MinUntypedBits": "seL4_MinUntypedBits", "MaxUntypedBits": "seL4_MaxUntypedBits",
    "IPCBufferSizeBits": "seL4_IPCBufferSizeBits", "MsgMaxLength": "seL4_MsgMaxLength",
    "MsgMaxExtraCaps": "seL4_MsgMaxExtraCaps", "FastMessageRegisters": "seL4_FastMessageRegisters",
    "MaxPrio": "seL4_MaxPrio", "UserTop": "seL4_UserTop", "NumInitialCaps": "seL4_NumInitialCaps",
    "MaxNumBootinfoUntypedCaps": "CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS",
    "BootInfoHeaderPadding": "SEL4_BOOTINFO_HEADER_PADDING",
    "BootInfoHeaderFDT": "SEL4_BOOTINFO_HEADER_FDT",
}
OBJECT_BITS_MACROS = {
    "Untyped": "seL4_MinUntypedBits", "TCB": "seL4_TCBBits", "Endpoint": "seL4_EndpointBits",
    "Notification": "seL4_NotificationBits", "CapTable": "seL4_SlotBits",
    "SchedContext": "seL4_MinSchedContextBits", "Reply": "seL4_ReplyBits",
    "ARM_HugePage": "seL4_HugePageBits", "ARM_VSpace": "seL4_VSpaceBits",
    "ARM_SmallPage": "seL4_PageBits", "ARM_LargePage": "seL4_LargePageBits",
    "ARM_PageTable": "seL4_PageTableBits", "ARM_VCPU": "seL4_VCPUBits",
    "ARM_IOPageTable": "seL4_IOPageTableBits",
    "RISCV_4K_Page": "seL4_PageBits", "RISCV_Mega_Page": "seL4_LargePageBits",
    "RISCV_Giga_Page": "seL4_HugePageBits", "RISCV_Tera_Page": "seL4_TeraPageBits",
    "RISCV_PageTable": "seL4_PageTableBits",
}
# The C compiler for each architecture's headers (see the module text).
COMPILERS = {"aarch64": "cc", "riscv64": "riscv64-linux-gnu-gcc"}
# The config setting that names each architecture.
ARCH_CONFIGS = {"aarch64": "CONFIG_ARCH_AARCH64", "riscv64": "CONFIG_ARCH_RISCV64"}
VALUES_SECTION = ".data.bootcheck_abi"
# libsel4's name of each fault message register (the table's fault, MR).
FAULT_MR_PREFIX = {"CapFault": "seL4_CapFault_", "UnknownSyscall": "seL4_UnknownSyscall_",
                   "UserException": "seL4_UserException_", "VMFault": "seL4_VMFault_",
                   "Timeout": "seL4_Timeout_"}


class CannotCheck(Exception):
    pass


def read_config(include):
    path = None
    for candidate in ("autoconf.h", "kernel/gen_config.h", "sel4/gen_config.h"):
        if os.path.isfile(os.path.join(include, candidate)):
            path = os.path.join(include, candidate)
            break
    if path is None:
        raise CannotCheck(f"{include}: no autoconf.h, kernel/gen_config.h or sel4/gen_config.h "
                          "(not a libsel4 include tree?)")
    defines = {}
    out = subprocess.run(["cpp", "-dM", "-I", include, path], capture_output=True, text=True)
    if out.returncode != 0:
        raise CannotCheck(f"cpp {path}: {out.stderr.strip().splitlines()[0] if out.stderr else 'failed'}")
    for m in re.finditer(r"^#define (CONFIG_\w+)(?: (.*))?$", out.stdout, re.M):
        defines[m.group(1)] = (m.group(2) or "").strip()
    return defines


def release_of(include, given):
    if given:
        return sel4abi.normalise_release(given)
    for part in reversed(os.path.abspath(include).split(os.sep)):
        m = re.match(r"(\d+\.\d+\.\d+)(?:-|$)", part)
        if m:
            return sel4abi.normalise_release(m.group(1))
    config = os.path.join(os.path.dirname(os.path.abspath(include)), "config.txt")
    if os.path.isfile(config):
        with open(config) as f:
            m = re.search(r"^# seL4 (\d+\.\d+\.\d+)", f.read(), re.M)
        if m:
            return sel4abi.normalise_release(m.group(1))
    raise CannotCheck(f"cannot tell which seL4 release {include} is: give --release (SEL4_RELEASE=)")


def arch_of(config, include):
    found = [arch for arch, name in ARCH_CONFIGS.items() if name in config]
    if len(found) != 1:
        raise CannotCheck(f"{include}: its config names no architecture the table covers "
                          f"({' or '.join(ARCH_CONFIGS.values())})")
    return found[0]


def compiler(arch):
    cc = COMPILERS[arch]
    if shutil.which(cc) is None:
        raise CannotCheck(f"no {cc} to compile {arch} headers with (Debian: "
                          f"{'gcc-riscv64-linux-gnu' if arch == 'riscv64' else 'gcc'})")
    return cc


def preprocess(include, workdir, cc="cc"):
    src = os.path.join(workdir, "all.h")
    with open(src, "w") as f:
        f.writelines(f"#include <{h}>\n" for h in HEADERS)
    out = subprocess.run([cc, "-E", "-P", "-I", include, src], capture_output=True, text=True)
    if out.returncode != 0:
        first = next((l for l in out.stderr.splitlines() if "error" in l), out.stderr.strip()[:200])
        raise CannotCheck(f"the host compiler cannot preprocess the headers: {first}")
    return out.stdout


def enum_names(text, enum):
    """Enumerators of `enum <enum> {...}` (or a typedef'd one ending in
    `} <enum>;`) in preprocessed text."""
    m = re.search(r"enum\s+" + re.escape(enum) + r"\s*\{(.*?)\}", text, re.S)
    if m is None:
        m = re.search(r"enum\s*\{([^{}]*?)\}\s*" + re.escape(enum) + r"\s*;", text, re.S)
    if m is None:
        return None
    names = []
    for item in m.group(1).split(","):
        name = item.split("=")[0].strip()
        if re.fullmatch(r"[A-Za-z_]\w*", name):
            names.append(name)
    return names


def all_enumerators(text):
    """Every enumerator of every enum in preprocessed text."""
    names = set()
    for body in re.findall(r"enum\b[^{};]*\{([^{}]*)\}", text):
        for item in body.split(","):
            name = item.split("=")[0].strip()
            if re.fullmatch(r"[A-Za-z_]\w*", name):
                names.add(name)
    return names


def section_bytes(path, name):
    """The contents of section `name` of a little-endian ELF64 object."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x7fELF\x02\x01":
        raise CannotCheck(f"{path}: not a little-endian ELF64 object")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)

    def header(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    names_offset = header(shstrndx)[4]
    for i in range(shnum):
        sh_name, _, _, _, offset, size = header(i)[:6]
        end = data.index(b"\0", names_offset + sh_name)
        if data[names_offset + sh_name:end].decode() == name:
            return data[offset:offset + size]
    raise CannotCheck(f"{path}: no section {name}")


def evaluate(include, workdir, expressions, cc="cc"):
    """Compiles (never runs) an object whose data holds each C expression's
    value as a (present, value) pair of 64-bit words; an expression that
    names nothing in this build is absent."""
    src = os.path.join(workdir, "values.c")
    lines = ['#include <stddef.h>']
    lines += [f"#include <{h}>" for h in HEADERS]
    lines.append(f'__attribute__((section("{VALUES_SECTION}"), used))')
    lines.append("long long bootcheck_abi_values[] = {")
    for key, expr, guard in expressions:
        body = f"    1, (long long)({expr}),   /* {key} */"
        lines.append(f"#ifdef {guard}\n{body}\n#else\n    0, 0,\n#endif" if guard else body)
    lines.append("};")
    with open(src, "w") as f:
        f.write("\n".join(lines) + "\n")
    obj = os.path.join(workdir, "values.o")
    out = subprocess.run([cc, "-w", "-c", "-I", include, "-o", obj, src], capture_output=True, text=True)
    if out.returncode != 0:
        first = next((l for l in out.stderr.splitlines() if "error" in l), out.stderr.strip()[:200])
        raise CannotCheck(f"{cc} cannot compile against the headers: {first}")
    words = section_bytes(obj, VALUES_SECTION)
    if len(words) != 16 * len(expressions):
        raise CannotCheck(f"{obj}: {len(words)} bytes of values for {len(expressions)} expressions")
    values = {}
    for i, (key, _, _) in enumerate(expressions):
        present, value = struct.unpack_from("<qq", words, 16 * i)
        if present:
            values[key] = value
    return values


def cap_tags_of(kernel_build):
    for root, _, files in os.walk(kernel_build):
        if "structures_gen.h" in files and root.endswith(os.path.join("arch", "object")):
            with open(os.path.join(root, "structures_gen.h")) as f:
                m = re.search(r"enum cap_tag \{(.*?)\}", f.read(), re.S)
            if m:
                return {name: int(value) for name, value in re.findall(r"cap_(\w+)_cap = (\d+)", m.group(1))}
    raise CannotCheck(f"{kernel_build}: no generated arch/object/structures_gen.h with enum cap_tag")


def check(include, release, kernel_build=None):
    """[(what, table value, build value)] mismatches, and the ABI compared."""
    config = read_config(include)
    arch = arch_of(config, include)
    cc = compiler(arch)
    mcs = "CONFIG_KERNEL_MCS" in config
    smp = int(config.get("CONFIG_MAX_NUM_NODES", "1") or "1") > 1
    hyp = "CONFIG_ARM_HYPERVISOR_SUPPORT" in config
    a = sel4abi.abi(release, mcs, smp, hyp, arch)
    mismatches = []
    # Options the table takes as fixed must be so in this build (a number
    # such as PT_LEVELS: the same number).
    for name, value in a.config.items():
        if name in sel4abi.VARYING:
            continue
        if isinstance(value, bool):
            built = f"CONFIG_{name}" in config
            if built != value:
                mismatches.append((f"config CONFIG_{name}", "on" if value else "off",
                                   "on" if built else "off"))
        else:
            built = config.get(f"CONFIG_{name}")
            if built is None or not re.fullmatch(r"\d+", built) or int(built) != value:
                mismatches.append((f"config CONFIG_{name}", value, "absent" if built is None else built))
    with tempfile.TemporaryDirectory() as workdir:
        text = preprocess(include, workdir, cc)
        exprs, want = [], {}

        def expect(key, expr, value, guard=None):
            exprs.append((key, expr, guard))
            want[key] = value

        enums = {}
        for enum in ("invocation_label", "sel4_arch_invocation_label", "arch_invocation_label",
                     "seL4_Syscall_ID", "api_object", "_mode_object", "_object", "seL4_Error",
                     "seL4_RootCNodeCapSlots", "seL4_Fault_tag"):
            enums[enum] = enum_names(text, enum)
            if enums[enum] is None:
                raise CannotCheck(f"{include}: no enum {enum} in the headers")
        counts = {"nInvocationLabels": 1, "nSeL4ArchInvocationLabels": 2, "nArchInvocationLabels": 3}
        built_labels = [n for e in ("invocation_label", "sel4_arch_invocation_label",
                                    "arch_invocation_label") for n in enums[e]
                        if n != "InvalidInvocation" and n not in counts]
        for name in sorted(set(built_labels) | set(a.labels)):
            expect(f"label {name}", name, a.labels.get(name), name if name not in built_labels else None)
        for name, i in counts.items():
            expect(f"count {name}", name, a.label_list_starts[i])
        built_sys = [n[len("seL4_Sys"):] for n in enums["seL4_Syscall_ID"] if n.startswith("seL4_Sys")]
        for name in sorted(set(built_sys) | set(a.syscalls)):
            expect(f"syscall {name}", f"seL4_Sys{name}", a.syscalls.get(name),
                   None if name in built_sys else f"seL4_Sys{name}")
        # The table names an object type as libsel4 does without seL4_ and
        # a trailing Object (seL4_ARM_HugePageObject, seL4_RISCV_4K_Page).
        built_obj = {n[len("seL4_"):].removesuffix("Object"): n
                     for e in ("api_object", "_mode_object", "_object") for n in enums[e]
                     if n.startswith("seL4_") and not n.endswith("Count")}
        for o in sorted(set(built_obj) | set(a.object_types)):
            cname = built_obj.get(o, f"seL4_{o}Object")
            expect(f"object {o}", cname, a.object_types.get(o), None if o in built_obj else cname)
        expect("count seL4_ObjectTypeCount", "seL4_ObjectTypeCount", a.object_type_count)
        for o, macro in OBJECT_BITS_MACROS.items():
            if o in a.object_types or o in ("Untyped",):
                expect(f"object_bits {o}", macro, a.object_bits.get(o), macro)
        for name, macro in CONSTANT_MACROS.items():
            expect(f"constant {name}", macro, a.constants.get(name), macro)
        for name, code in a.errors.items():
            expect(f"error {name}", f"seL4_{name}", code)
        expect("count seL4_NumErrors", "seL4_NumErrors", len(a.errors))
        for name, slot in a.initial_caps.items():
            expect(f"initial_cap {name}", f"seL4_Cap{name}", slot)
        for fld, offset in a.bootinfo.items():
            expect(f"bootinfo {fld}", f"offsetof(seL4_BootInfo, {fld})", offset)
        expect("bootinfo sizeof", "sizeof(seL4_BootInfo)", a.bootinfo_size)
        built_faults = [n[len("seL4_Fault_"):] for n in enums["seL4_Fault_tag"]
                        if n.startswith("seL4_Fault_")]
        for name in sorted(set(built_faults) | set(a.fault_types)):
            expect(f"fault_type {name}", f"seL4_Fault_{name}", a.fault_types.get(name),
                   None if name in built_faults else f"seL4_Fault_{name}")
        for fault, mrs in a.fault_messages.items():
            if fault not in a.fault_types:
                continue
            for mr, index in mrs.items():
                expect(f"fault_message {fault}.{mr}", f"{FAULT_MR_PREFIX[fault]}{mr}", index)
            if fault != "CapFault":   # libsel4 gives no seL4_CapFault_Length
                expect(f"fault_message {fault}.Length", f"{FAULT_MR_PREFIX[fault]}Length", len(mrs))
        # An identifier that is an enumerator cannot be tested with #ifdef:
        # only the table's names that the build lacks get a guard (so they
        # print nothing), and a guard naming a macro tests the macro.
        enumerators = all_enumerators(text)
        exprs = [(k, e, None if g is not None and g in enumerators else g) for k, e, g in exprs]
        got = evaluate(include, workdir, exprs, cc)
    for key in sorted(want):
        table, built = want[key], got.get(key)
        if table != built:
            mismatches.append((key, "absent" if table is None else table, "absent" if built is None else built))
    compared = len(want)
    if kernel_build:
        tags = cap_tags_of(kernel_build)
        for name in sorted(set(tags) | set(a.cap_tags)):
            compared += 1
            if tags.get(name) != a.cap_tags.get(name):
                mismatches.append((f"cap_tag {name}", a.cap_tags.get(name, "absent"),
                                   tags.get(name, "absent")))
    return a, compared, mismatches


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--include", required=True, help="the build's libsel4 include tree")
    ap.add_argument("--release", help="the build's seL4 release, e.g. 16.0.0")
    ap.add_argument("--kernel-build", help="the kernel's build directory (cap tags)")
    args = ap.parse_args()
    try:
        if not os.path.isdir(args.include):
            raise CannotCheck(f"{args.include}: not a directory")
        read_config(args.include)   # a libsel4 include tree at all?
        release = release_of(args.include, args.release)
        a, compared, mismatches = check(args.include, release, args.kernel_build)
    except (CannotCheck, sel4abi.AbiError) as e:
        print(f"abi-check: cannot check: {e}")
        return 2
    for what, table, built in mismatches:
        print(f"abi-check: MISMATCH {what}: table {table}, build {built}")
    verdict = "OK" if not mismatches else f"{len(mismatches)} MISMATCHES"
    print(f"abi-check: {args.include}: seL4 {a.name}: {compared} numbers compared, {verdict}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
