"""seL4's user ABI per architecture (aarch64, riscv64), release and
configuration, read from sel4-abi.toml (the data; its header explains the
entry grammar).

    import sel4abi
    a = sel4abi.abi("16.0.0", mcs=True, smp=False, hyp=False)   # arch="aarch64"
    a.labels["ARMASIDPoolAssign"]      # 48
    r = sel4abi.abi("16.0.0", arch="riscv64")
    r.labels["RISCVASIDPoolAssign"]    # 42
    a.syscalls["DebugPutChar"]         # -12
    a.object_types["SchedContext"]     # 5
    a.bootinfo["untyped"]              # 168 (byte offset)

Every number is computed from the ordered lists the way seL4's generators
number them, never written down per configuration. Command line:
    sel4abi.py [RELEASE [mcs|nonmcs] [smp|up] [hyp|el1|riscv64]]   prints that ABI
"""

import itertools
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
# SEL4_ABI_TABLE names another copy of the table (the tests check that
# abi_check.py finds a wrong number in one).
DATA = os.environ.get("SEL4_ABI_TABLE") or os.path.join(HERE, "sel4-abi.toml")

WORD, REGION, UNTYPED_DESC = 8, 16, 16


class AbiError(Exception):
    """Bad input (an unknown release, a name not in the table) or a table
    that does not parse; the message says which."""


def _load():
    try:
        with open(DATA, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise AbiError(f"{DATA}: not valid TOML: {e}") from None


_DOC = _load()
RELEASES = list(_DOC["releases"])
ARCHES = list(_DOC["arches"])
# Settings a configuration varies on any architecture (abi_check.py does
# not compare them with a build's fixed settings).
VARYING = list(_DOC["config"]["varying"]) + \
    [_DOC["arch"][a]["hyp"] for a in ARCHES if _DOC["arch"][a]["hyp"]]


def release_key(release):
    """(major, minor, patch) of "16.0.0"."""
    return tuple(int(p) for p in release.split("."))


def normalise_release(release):
    """"16", "16.0" and "16.0.0" all name 16.0.0; anything else is an error."""
    text = str(release).strip()
    if not re.fullmatch(r"\d+(\.\d+){0,2}", text):
        raise AbiError(f"not a release number: {release!r} (known: {', '.join(RELEASES)})")
    parts = (text.split(".") + ["0", "0"])[:3]
    full = ".".join(str(int(p)) for p in parts)
    if full not in RELEASES:
        raise AbiError(f"seL4 {release} is not in the table (known: {', '.join(RELEASES)})")
    return full


# --- entries and conditions -------------------------------------------------

_ENTRY = re.compile(r"^(?P<value>\S+)(?: (?P<rest>.*))?$")


@dataclass
class Entry:
    value: str
    condition: str = ""
    since: str = ""
    until: str = ""

    def in_release(self, release):
        r = release_key(release)
        return (not self.since or r >= release_key(self.since)) and \
               (not self.until or r < release_key(self.until))


def parse_entry(text, extra_words=0):
    """"<value> [<word>...] [if COND] [since R] [until R]"; extra_words
    more words belong to the value (e.g. a BootInfo field's kind)."""
    words = text.split()
    if len(words) < 1 + extra_words:
        raise AbiError(f"table entry {text!r}: too few words")
    value = " ".join(words[:1 + extra_words])
    rest = " ".join(words[1 + extra_words:])
    m = re.fullmatch(r"(?:if (?P<cond>.*?))?\s*(?:since (?P<since>[\d.]+))?\s*"
                     r"(?:until (?P<until>[\d.]+))?", rest)
    if m is None:
        raise AbiError(f"table entry {text!r}: expected '[if COND] [since R] [until R]' after "
                       f"{value!r}")
    e = Entry(value, (m.group("cond") or "").strip(), m.group("since") or "", m.group("until") or "")
    for r in (e.since, e.until):
        if r and r not in RELEASES:
            raise AbiError(f"table entry {text!r}: unknown release {r}")
    return e


def evaluate(condition, config):
    """A condition over config names (!, &&, ||, parentheses)."""
    if not condition:
        return True
    tokens = re.findall(r"\(|\)|!=|==|<=|>=|<|>|!|&&|\|\||[A-Za-z_][A-Za-z0-9_]*|\d+|\S", condition)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take(expected=None):
        nonlocal pos
        tok = peek()
        if tok is None or (expected and tok != expected):
            raise AbiError(f"condition {condition!r}: expected {expected or 'more'} at token {pos}")
        pos += 1
        return tok

    def primary():
        tok = take()
        if tok == "!":
            return not primary()
        if tok == "(":
            v = disjunction()
            take(")")
            return v
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tok):
            raise AbiError(f"condition {condition!r}: unexpected {tok!r}")
        if tok not in config:
            raise AbiError(f"condition {condition!r}: {tok} is neither varying nor fixed in [config]")
        if peek() in _COMPARE:
            op = take()
            number = take()
            if not number.isdigit():
                raise AbiError(f"condition {condition!r}: {tok} {op} wants a number, not {number!r}")
            return _COMPARE[op](int(config[tok]), int(number))
        return bool(config[tok])

    def conjunction():
        v = primary()
        while peek() == "&&":
            take()
            v = primary() and v
        return v

    def disjunction():
        v = conjunction()
        while peek() == "||":
            take()
            v = conjunction() or v
        return v

    result = disjunction()
    if pos != len(tokens):
        raise AbiError(f"condition {condition!r}: trailing {tokens[pos]!r}")
    return result


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _live(entries, release):
    return [parse_entry(e) for e in entries if parse_entry(e).in_release(release)]


def _numbered(lists, release, config, start):
    """Names in order with their numbers: an entry whose condition fails
    takes no number (seL4's enums are #if-wrapped). Also returns where each
    list began (nInvocationLabels, nSeL4ArchInvocationLabels...)."""
    out, starts, n = {}, [], start
    for entries in lists:
        starts.append(n)
        for e in _live(entries, release):
            if evaluate(e.condition, config):
                if e.value in out:
                    raise AbiError(f"{e.value} twice in one configuration of {release}")
                out[e.value] = n
                n += 1
    starts.append(n)
    return out, starts


def _value(entries, release, config, what):
    for e in _live(entries, release):
        if evaluate(e.condition, config):
            return int(e.value, 0)
    return None


# --- the ABI of one configuration ------------------------------------------

@dataclass
class Abi:
    release: str
    mcs: bool
    smp: bool
    hyp: bool
    arch: str
    config: dict = field(repr=False)
    labels: dict = field(repr=False)              # invocation id -> label
    label_list_starts: tuple = field(repr=False)  # (1, nInvocationLabels, nSeL4ArchInvocationLabels, nArchInvocationLabels)
    syscalls: dict = field(repr=False)            # present syscalls -> number
    syscall_numbers: dict = field(repr=False)     # every listed syscall -> number, present or not
    object_types: dict = field(repr=False)        # seL4_<Name>Object -> number
    object_type_count: int = field(repr=False)
    object_bits: dict = field(repr=False)
    constants: dict = field(repr=False)
    errors: dict = field(repr=False)
    initial_caps: dict = field(repr=False)
    bootinfo: dict = field(repr=False)            # field -> byte offset
    bootinfo_size: int = field(repr=False)
    bootinfo_fill_order: list = field(repr=False)
    cap_tags: dict = field(repr=False)
    fault_types: dict = field(repr=False)
    fault_messages: dict = field(repr=False)

    @property
    def name(self):
        """"16.0.0-mcs-up-el1": release, MCS or not, single-core or SMP, EL1 or
        hyp (AArch64); "16.0.0-mcs-up-riscv64" on riscv64 (no hyp axis)."""
        last = ("hyp" if self.hyp else "el1") if self.arch == "aarch64" else self.arch
        return "-".join([self.release, "mcs" if self.mcs else "nonmcs", "smp" if self.smp else "up",
                         last])

    @property
    def n_invocation_labels(self):
        return self.label_list_starts[1]

    def label(self, method):
        if method not in self.labels:
            raise AbiError(f"{self.name} has no invocation {method}")
        return self.labels[method]

    def method_of_label(self, label):
        """The invocation id a label names in this configuration, or None."""
        for name, number in self.labels.items():
            if number == label:
                return name
        return None


def check_arch(arch, hyp=False):
    """The architecture's name, or AbiError: not in the table, or a hyp
    configuration of an architecture without that axis."""
    if arch not in ARCHES:
        raise AbiError(f"architecture {arch!r} is not in the table (known: {', '.join(ARCHES)})")
    if hyp and not _DOC["arch"][arch]["hyp"]:
        raise AbiError(f"{arch} has no hyp configuration in the table")
    return arch


def _setting(name, value, release):
    """A fixed setting: a value, or a conditional-value list of true, false
    or numbers by release (conditions on other settings are not allowed)."""
    if not isinstance(value, list):
        return value
    for e in _live(value, release):
        if e.condition:
            raise AbiError(f"setting {name}: {e.value} has a condition; only since/until are allowed")
        return {"true": True, "false": False}.get(e.value) if e.value in ("true", "false") \
            else int(e.value, 0)
    raise AbiError(f"setting {name}: no value for seL4 {release}")


def config_of(mcs, smp, hyp, arch="aarch64", release=None):
    """The settings of one configuration (release: for settings that differ
    by release; default the newest)."""
    check_arch(arch, hyp)
    release = release or RELEASES[-1]
    config = dict(_DOC["config"]["fixed"])
    config.update({name: _setting(name, value, release)
                   for name, value in _DOC["arch"][arch].get("config_fixed", {}).items()})
    config.update(KERNEL_MCS=bool(mcs), ENABLE_SMP_SUPPORT=bool(smp))
    for other in ARCHES:   # every architecture's hyp setting is a known name
        if _DOC["arch"][other]["hyp"]:
            config.setdefault(_DOC["arch"][other]["hyp"], False)
    if _DOC["arch"][arch]["hyp"]:
        config[_DOC["arch"][arch]["hyp"]] = bool(hyp)
    return config


_CACHE = {}


def abi(release, mcs=False, smp=False, hyp=False, arch="aarch64"):
    """The ABI of seL4 `release` for `arch` built with KernelIsMCS = mcs,
    more than one node (SMP) = smp, KernelArmHypervisorSupport = hyp
    (AArch64 only)."""
    key = (normalise_release(release), bool(mcs), bool(smp), bool(hyp), check_arch(arch, hyp))
    if key not in _CACHE:
        _CACHE[key] = _build(*key)
    return _CACHE[key]


def hyp_choices(arch):
    """(False, True) where the architecture has a hyp axis, else (False,)."""
    return (False, True) if _DOC["arch"][check_arch(arch)]["hyp"] else (False,)


def configurations(arch="aarch64"):
    """Every (release, mcs, smp, hyp) the table covers for one architecture."""
    for release in RELEASES:
        for mcs, smp, hyp in itertools.product((False, True), (False, True), hyp_choices(arch)):
            yield release, mcs, smp, hyp


def all_configurations():
    """Every (release, mcs, smp, hyp, arch) of every architecture, in C table order."""
    for arch in ARCHES:
        for c in configurations(arch):
            yield (*c, arch)


def _arch_table(name, arch):
    """A top-level table with the architecture's entries added (a name in
    both: the architecture's)."""
    table = dict(_DOC.get(name, {}))
    table.update(_DOC["arch"][arch].get(name, {}))
    return table


def _lists(name, arch):
    """The generic, sel4_arch and arch lists of [invocations] or [object_types]."""
    own = _DOC["arch"][arch][name]
    return [_DOC[name]["generic"], own["sel4_arch"], own["arch"]]


def _conditional_table(table, release, config):
    out = {}
    for name, entries in table.items():
        v = _value(entries, release, config, name)
        if v is not None:
            out[name] = v
    return out


def _build(release, mcs, smp, hyp, arch):
    doc, config = _DOC, config_of(mcs, smp, hyp, arch, release)
    labels, starts = _numbered(_lists("invocations", arch), release, config, 1)
    sc = doc["syscalls"]
    api = sc["api_mcs"] if mcs else sc["api_master"]
    listed = [parse_entry(s) for s in api] + _live(sc["debug"], release)
    numbers, present = {}, {}
    for number, e in zip(itertools.count(-1, -1), listed):
        numbers.setdefault(e.value, number)
        if evaluate(e.condition, config):
            present[e.value] = number
    types, type_starts = _numbered(_lists("object_types", arch), release, config, 0)
    bits = {name: v for name, v in
            _conditional_table(_arch_table("object_bits", arch), release, config).items()
            if name in types}
    constants = _conditional_table(_arch_table("constants", arch), release, config)
    bootinfo, offset = {}, 0
    for text in doc["bootinfo"]["fields"]:
        e = parse_entry(text, extra_words=1)
        if not (e.in_release(release) and evaluate(e.condition, config)):
            continue
        name, kind = e.value.split()
        bootinfo[name] = offset
        offset += {"word": WORD, "region": REGION,
                   "untyped_list": UNTYPED_DESC * constants["MaxNumBootinfoUntypedCaps"]}[kind]
    fill = [e.value for e in _live(doc["bootinfo"]["fill_order"], release) if evaluate(e.condition, config)]
    return Abi(
        release=release, mcs=mcs, smp=smp, hyp=hyp, arch=arch, config=config,
        labels=labels, label_list_starts=tuple(starts),
        syscalls=present, syscall_numbers=numbers,
        object_types=types, object_type_count=type_starts[-1], object_bits=bits,
        constants=constants,
        errors={name: i for i, name in enumerate(doc["errors"]["names"])},
        initial_caps={name: i for i, name in enumerate(doc["initial_caps"]["names"])},
        bootinfo=bootinfo, bootinfo_size=offset, bootinfo_fill_order=fill,
        cap_tags=_conditional_table(_arch_table("cap_tags", arch), release, config),
        fault_types=_conditional_table(_arch_table("fault_types", arch), release, config),
        fault_messages=fault_messages(arch),
    )


def fault_messages(arch="aarch64"):
    """{fault: {MR name: index}} of one architecture (the same in every
    release and configuration)."""
    return {name: {mr: i for i, mr in enumerate(mrs)}
            for name, mrs in _arch_table("fault_messages", check_arch(arch)).items()}


def all_names():
    """Every name of each kind over all configurations of every
    architecture, in table order (the C enums are these): the generic
    names, then AArch64's, then those only riscv64 has."""
    def names(lists, extra_words=0):
        out = []
        for entries in lists:
            for text in entries:
                v = parse_entry(text, extra_words).value
                if v not in out:
                    out.append(v)
        return out

    def keys(name):
        out = []
        for arch in ARCHES:
            out += [k for k in _arch_table(name, arch) if k not in out]
        return out
    doc = _DOC
    sc = doc["syscalls"]
    return {
        "method": names([lst for arch in ARCHES for lst in _lists("invocations", arch)]),
        "syscall": names([sc["api_master"], sc["api_mcs"], sc["debug"]]),
        "object": names([lst for arch in ARCHES for lst in _lists("object_types", arch)]),
        "fault": keys("fault_types"),
        "cap_tag": keys("cap_tags"),
        "error": list(doc["errors"]["names"]),
        "initial_cap": list(doc["initial_caps"]["names"]),
        "constant": keys("constants"),
    }


def parse_abi_name(text, with_arch=False):
    """"16.0.0-mcs-smp-hyp" (parts after the release in any order; missing
    ones default to nonmcs, up, el1) -> (release, mcs, smp, hyp); an
    architecture's name as a part ("13.0.0-mcs-riscv64") chooses it (default
    aarch64; el1 and hyp imply it). with_arch: (release, mcs, smp, hyp, arch)."""
    parts = text.split("-")
    release = normalise_release(parts[0])
    flags = {"mcs": ("mcs", True), "nonmcs": ("mcs", False), "smp": ("smp", True),
             "up": ("smp", False), "hyp": ("hyp", True), "el1": ("hyp", False)}
    flags.update({a: ("arch", a) for a in ARCHES})
    got = {"mcs": False, "smp": False, "hyp": False, "arch": "aarch64"}
    for p in parts[1:]:
        if p not in flags:
            raise AbiError(f"{text}: unknown part {p!r}; use <release>[-mcs|-nonmcs][-smp|-up]"
                           f"[-hyp|-el1|-{'|-'.join(a for a in ARCHES if a != 'aarch64')}]")
        key, value = flags[p]
        got[key] = value
    if "el1" in parts[1:] or "hyp" in parts[1:]:
        if got["arch"] != "aarch64":
            raise AbiError(f"{text}: el1/hyp name AArch64 configurations, not {got['arch']}")
    check_arch(got["arch"], got["hyp"])
    if with_arch:
        return release, got["mcs"], got["smp"], got["hyp"], got["arch"]
    if got["arch"] != "aarch64":
        raise AbiError(f"{text}: a {got['arch']} configuration (ask with with_arch=True)")
    return release, got["mcs"], got["smp"], got["hyp"]


def detected_releases(token):
    """The releases a root task's `sel4.abi` fact names ("13.0", "14.0",
    "15.0/16.0"), as full release numbers."""
    return [normalise_release(part) for part in token.split("/")]


def forced_cflags(text):
    """The C flags of a root task forced to one ABI (roottask/abi_detect.c):
    "<release>-<mcs|nonmcs>[-up|-smp]"; without -up/-smp, numNodes decides."""
    parts = text.split("-")
    if len(parts) < 2 or parts[1] not in ("mcs", "nonmcs") or \
            any(p not in ("up", "smp") for p in parts[2:]) or len(parts) > 3:
        raise AbiError(f"ABI={text}: expected <release>-<mcs|nonmcs>[-up|-smp], e.g. 13.0.0-nonmcs")
    release = normalise_release(parts[0])
    flags = [f"-DROOTTASK_FORCED_RELEASE=SEL4_RELEASE_{release.replace('.', '_')}",
             f"-DROOTTASK_FORCED_MCS={int(parts[1] == 'mcs')}"]
    if len(parts) == 3:
        flags.append(f"-DROOTTASK_FORCED_SMP={int(parts[2] == 'smp')}")
    return " ".join(flags)


def _main(argv):
    try:
        if argv[:1] == ["--forced-cflags"] and len(argv) == 2:
            print(forced_cflags(argv[1]))
            return 0
        if argv:
            configs = [parse_abi_name("-".join(argv), with_arch=True)]
        else:
            configs = list(all_configurations())
        for c in configs:
            a = abi(*c)
            print(f"{a.name}: {len(a.labels)} labels (nInvocationLabels {a.n_invocation_labels}), "
                  f"syscalls {min(a.syscalls.values())}..-1, {a.object_type_count} object types, "
                  f"BootInfo {a.bootinfo_size} bytes")
            if len(configs) == 1:
                for kind in ("labels", "syscalls", "object_types", "object_bits", "bootinfo",
                             "cap_tags", "fault_types"):
                    print(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in getattr(a, kind).items()))
    except AbiError as e:
        print(f"sel4abi: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
