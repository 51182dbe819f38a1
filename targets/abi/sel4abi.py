"""seL4's AArch64 user ABI per release and configuration, read from
sel4-abi.toml (the data; its header explains the entry grammar).

    import sel4abi
    a = sel4abi.abi("16.0.0", mcs=True, smp=False, hyp=False)
    a.labels["ARMASIDPoolAssign"]      # 48
    a.syscalls["DebugPutChar"]         # -12
    a.object_types["SchedContext"]     # 5
    a.bootinfo["untyped"]              # 168 (byte offset)

Every number is computed from the ordered lists the way seL4's generators
number them, never written down per configuration. Command line:
    sel4abi.py [RELEASE [mcs|nonmcs] [smp|up] [hyp|el1]]   prints that ABI
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
VARYING = list(_DOC["config"]["varying"])


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
    tokens = re.findall(r"\(|\)|!|&&|\|\||[A-Za-z_][A-Za-z0-9_]*|\S", condition)
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
        """"16.0.0-mcs-up-el1": release, MCS or not, single-core or SMP, EL1 or hyp."""
        return "-".join([self.release, "mcs" if self.mcs else "nonmcs", "smp" if self.smp else "up",
                         "hyp" if self.hyp else "el1"])

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


def config_of(mcs, smp, hyp):
    config = dict(_DOC["config"]["fixed"])
    config.update(KERNEL_MCS=bool(mcs), ENABLE_SMP_SUPPORT=bool(smp), ARM_HYPERVISOR_SUPPORT=bool(hyp))
    return config


_CACHE = {}


def abi(release, mcs=False, smp=False, hyp=False):
    """The ABI of seL4 `release` built with KernelIsMCS = mcs, more than one
    node (SMP) = smp, KernelArmHypervisorSupport = hyp."""
    key = (normalise_release(release), bool(mcs), bool(smp), bool(hyp))
    if key not in _CACHE:
        _CACHE[key] = _build(*key)
    return _CACHE[key]


def configurations():
    """Every (release, mcs, smp, hyp) the table covers."""
    for release in RELEASES:
        for mcs, smp, hyp in itertools.product((False, True), repeat=3):
            yield release, mcs, smp, hyp


def _conditional_table(table, release, config):
    out = {}
    for name, entries in table.items():
        v = _value(entries, release, config, name)
        if v is not None:
            out[name] = v
    return out


def _build(release, mcs, smp, hyp):
    doc, config = _DOC, config_of(mcs, smp, hyp)
    inv = doc["invocations"]
    labels, starts = _numbered([inv["generic"], inv["sel4_arch"], inv["arch"]], release, config, 1)
    sc = doc["syscalls"]
    api = sc["api_mcs"] if mcs else sc["api_master"]
    listed = [parse_entry(s) for s in api] + _live(sc["debug"], release)
    numbers, present = {}, {}
    for number, e in zip(itertools.count(-1, -1), listed):
        numbers.setdefault(e.value, number)
        if evaluate(e.condition, config):
            present[e.value] = number
    ot = doc["object_types"]
    types, type_starts = _numbered([ot["generic"], ot["sel4_arch"], ot["arch"]], release, config, 0)
    bits = {name: v for name, v in _conditional_table(doc["object_bits"], release, config).items()
            if name in types}
    constants = _conditional_table(doc["constants"], release, config)
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
        release=release, mcs=mcs, smp=smp, hyp=hyp, config=config,
        labels=labels, label_list_starts=tuple(starts),
        syscalls=present, syscall_numbers=numbers,
        object_types=types, object_type_count=type_starts[-1], object_bits=bits,
        constants=constants,
        errors={name: i for i, name in enumerate(doc["errors"]["names"])},
        initial_caps={name: i for i, name in enumerate(doc["initial_caps"]["names"])},
        bootinfo=bootinfo, bootinfo_size=offset, bootinfo_fill_order=fill,
        cap_tags=_conditional_table(doc["cap_tags"], release, config),
        fault_types=_conditional_table(doc["fault_types"], release, config),
        fault_messages={name: {mr: i for i, mr in enumerate(mrs)}
                        for name, mrs in doc["fault_messages"].items()},
    )


def all_names():
    """Every name of each kind over all configurations, in table order
    (the C enums are these)."""
    def names(lists, extra_words=0):
        out = []
        for entries in lists:
            for text in entries:
                v = parse_entry(text, extra_words).value
                if v not in out:
                    out.append(v)
        return out
    doc = _DOC
    sc = doc["syscalls"]
    return {
        "method": names([doc["invocations"][k] for k in ("generic", "sel4_arch", "arch")]),
        "syscall": names([sc["api_master"], sc["api_mcs"], sc["debug"]]),
        "object": names([doc["object_types"][k] for k in ("generic", "sel4_arch", "arch")]),
        "fault": list(doc["fault_types"]),
        "cap_tag": list(doc["cap_tags"]),
        "error": list(doc["errors"]["names"]),
        "initial_cap": list(doc["initial_caps"]["names"]),
        "constant": list(doc["constants"]),
    }


def parse_abi_name(text):
    """"16.0.0-mcs-smp-hyp" (parts after the release in any order; missing
    ones default to nonmcs, up, el1) -> (release, mcs, smp, hyp)."""
    parts = text.split("-")
    release = normalise_release(parts[0])
    flags = {"mcs": ("mcs", True), "nonmcs": ("mcs", False), "smp": ("smp", True),
             "up": ("smp", False), "hyp": ("hyp", True), "el1": ("hyp", False)}
    got = {"mcs": False, "smp": False, "hyp": False}
    for p in parts[1:]:
        if p not in flags:
            raise AbiError(f"{text}: unknown part {p!r}; use <release>[-mcs|-nonmcs][-smp|-up][-hyp|-el1]")
        key, value = flags[p]
        got[key] = value
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
            release, mcs, smp, hyp = parse_abi_name("-".join(argv))
            configs = [(release, mcs, smp, hyp)]
        else:
            configs = list(configurations())
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
