"""The documentation cannot drift from the code: every command shown in
README.md and docs/*.md is run by a test, and the contract rules catalogue
(docs/contract-rules.md) has exactly one entry per rule and diagnosis in
the code.

A fenced block that shows a command (a line starting with `$ `, `make `,
`build/`, `.ci/` or `python3 `) carries a marker on the line before it:

- `<!-- test: run -->`: this test runs each `$ COMMAND` of the block from
  the repository's root, in order, and the lines shown under it must be in
  its output (stdout and stderr): `...` alone on a line skips any lines,
  `...` inside a line matches anything; lines without `...` between them
  are consecutive in the output; more output may follow the last one.
- `<!-- test: sel4 -->`: as `run`, with $SEL4_KERNEL set to the first
  kernel of SEL4_KERNEL; skipped, with the reason, when none is given.
- `<!-- test: pytest FILE::TEST [FILE::TEST ...] -->`: those tests run the
  commands (they exist, and their file names each command's make target or
  program).
- `<!-- test: pristine-check -->`: the commands are the ones
  .ci/pristine-check runs (`make deps && make verify`, the README's two).
- `<!-- test: synopsis -->`: usage lines with placeholders; every make target
  they name exists, every VAR= they name is read by the makefiles, every
  --option is one the program's source defines. Inline `make ...` spans in
  the text are held to the same.
"""

import glob
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field

import pytest

from bootcheck.check import contract, diagnosis
from bootcheck.kernel import roottask_failures, target

from conftest import BUILD, ROOT

DOCS = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
MARK = re.compile(r"^<!-- test: (?P<kind>\S+)(?: (?P<args>.*?))? -->$")
COMMANDISH = re.compile(r"^(\$ |make |build/|\.ci/|python3 |/usr/bin/python3 )")
KINDS = {"run", "sel4", "pytest", "pristine-check", "synopsis"}


@dataclass
class Block:
    path: str
    line: int
    kind: str
    args: str
    body: list = field(default_factory=list)

    @property
    def where(self):
        return f"{os.path.relpath(self.path, ROOT)}:{self.line}"

    def commands(self):
        """[(command, [shown output lines])]; without `$ ` lines, every line
        is a command (trailing `# comments` dropped)."""
        if any(l.startswith("$ ") for l in self.body):
            out = []
            for l in self.body:
                if l.startswith("$ "):
                    out.append((l[2:].strip(), []))
                elif out:
                    out[-1][1].append(l)
            return out
        return [(re.sub(r"\s+#.*$", "", l).strip(), []) for l in self.body if l.strip()]


def blocks():
    out = []
    for path in DOCS:
        lines = open(path).read().split("\n")
        i = 0
        while i < len(lines):
            if lines[i].startswith("```"):
                start = i
                j = i + 1
                while j < len(lines) and not lines[j].startswith("```"):
                    j += 1
                body = lines[i + 1:j]
                prev = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
                m = MARK.match(prev.strip())
                out.append(Block(path, start + 1, m["kind"] if m else "", (m["args"] or "") if m else "", body))
                i = j + 1
            else:
                i += 1
    return out


BLOCKS = blocks()
COMMAND_BLOCKS = [b for b in BLOCKS if any(COMMANDISH.match(l) for l in b.body)]


def params(kind):
    return [pytest.param(b, id=b.where) for b in COMMAND_BLOCKS if b.kind == kind]


# --- every command block is marked ------------------------------------------------

@pytest.mark.unit
def test_every_command_in_the_docs_is_marked_with_its_test():
    unmarked = [f"{b.where}: {next(l for l in b.body if COMMANDISH.match(l))}" for b in COMMAND_BLOCKS
                if b.kind not in KINDS]
    assert unmarked == [], ("commands shown without a marker; put <!-- test: run|sel4|pytest FILE::TEST|synopsis --> "
                            "on the line before the block (docs/tests.md, 'The docs are tested'):\n"
                            + "\n".join(unmarked))
    marked = [b for b in BLOCKS if b.kind]
    assert [b.where for b in marked if b not in COMMAND_BLOCKS] == [], "a marker on a block without commands"


@pytest.mark.unit
def test_the_docs_show_commands_and_run_most_of_them():
    """Not a count to keep: the run and pytest blocks must exist at all (a
    regex that stopped matching would make every other test here vacuous)."""
    kinds = [b.kind for b in COMMAND_BLOCKS]
    assert kinds.count("run") >= 3 and kinds.count("pytest") >= 1 and kinds.count("pristine-check") == 1, kinds


# --- synopsis lines: targets, variables and options exist -------------------------

def _makefiles():
    files = [os.path.join(ROOT, "Makefile")]
    for dirpath, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in ("build", ".git", "reports")]
        files += [os.path.join(dirpath, n) for n in names if n.endswith(".mk")]
    return [open(f).read() for f in files]


def make_targets_and_variables():
    targets, variables = set(), set()
    for text in _makefiles():
        for m in re.finditer(r"^([A-Za-z0-9_.%/$() -]+?)\s*:(?![=])", text, re.M):
            targets.update(t for t in m.group(1).split() if "$" not in t)
        variables.update(re.findall(r"\$[({]([A-Z][A-Z0-9_]*)", text))
        variables.update(re.findall(r"^([A-Z][A-Z0-9_]*)\s*[?:+]?=", text, re.M))
        variables.update(re.findall(r"origin ([A-Z][A-Z0-9_]*)", text))
    return targets, variables


def _sources_text():
    text = []
    for pattern in ("harness/bootcheck/*.py", "harness/emu/*.c", "harness/emu/*.h", "loader/host/*.c"):
        for f in glob.glob(os.path.join(ROOT, pattern)):
            text.append(open(f, errors="replace").read())
    return "\n".join(text)


def synopsis_problems(line, targets, variables, sources):
    cleaned = re.sub(r"[\[\]|]", " ", line.replace("...", " "))
    try:
        words = shlex.split(cleaned)
    except ValueError:         # a quote opened inside a placeholder
        words = cleaned.split()
    problems = []
    if words and words[0] == "make":
        named = [w for w in words[1:] if re.fullmatch(r"[a-z][a-z0-9-]*", w)]
        if not named or named[0] not in targets:
            problems.append(f"make target {named[0] if named else '(none)'} does not exist")
        for w in words[1:]:
            m = re.match(r"^([A-Z][A-Z0-9_]*)=", w)
            if m and m.group(1) not in variables:
                problems.append(f"variable {m.group(1)} is not read by any makefile")
    else:
        program = words[0] if words else ""
        if program.startswith("build/") and not re.search(r"(bootcheck|emu-check|pack-check)$", program):
            problems.append(f"unknown program {program}")
        for w in words[1:]:
            opt = re.match(r"^(--[a-z][a-z0-9-]*)", w)
            if opt and f'"{opt.group(1)}' not in sources:
                problems.append(f"option {opt.group(1)} is defined nowhere in the harness's sources")
    return problems


INLINE_MAKE = re.compile(r"`(make [a-z][^`]*)`")


def inline_make_commands():
    out = []
    for path in DOCS:
        fence = False
        for n, line in enumerate(open(path), 1):
            if line.startswith("```"):
                fence = not fence
                continue
            if not fence:
                out += [(f"{os.path.relpath(path, ROOT)}:{n}", m.group(1)) for m in INLINE_MAKE.finditer(line)]
    return out


@pytest.mark.unit
def test_synopsis_lines_name_targets_variables_and_options_that_exist():
    targets, variables = make_targets_and_variables()
    sources = _sources_text()
    lines = [(b.where, c) for b in COMMAND_BLOCKS if b.kind == "synopsis" for c, _ in b.commands()]
    lines += inline_make_commands()
    assert len(lines) > 10
    bad = [f"{where}: {line}: {p}" for where, line in lines
           for p in synopsis_problems(line, targets, variables, sources)]
    assert bad == [], "\n".join(bad)


@pytest.mark.unit
def test_synopsis_check_catches_a_target_a_variable_and_an_option_that_do_not_exist():
    targets, variables = make_targets_and_variables()
    sources = _sources_text()
    assert synopsis_problems("make check IMAGE=x.elf [KERNEL=...]", targets, variables, sources) == []
    assert synopsis_problems("make chekc IMAGE=x.elf", targets, variables, sources) == \
        ["make target chekc does not exist"]
    assert synopsis_problems("make check IMAJE=x.elf", targets, variables, sources) == \
        ["variable IMAJE is not read by any makefile"]
    assert synopsis_problems("build/bin/bootcheck check IMAGE [--kernal ELF]", targets, variables, sources) == \
        ["option --kernal is defined nowhere in the harness's sources"]


# --- commands run elsewhere ---------------------------------------------------------

@pytest.mark.unit
def test_the_readme_set_up_commands_are_the_ones_pristine_check_runs():
    block = next(b for b in COMMAND_BLOCKS if b.kind == "pristine-check")
    assert os.path.basename(block.path) == "README.md"
    script = open(os.path.join(ROOT, ".ci", "pristine-check")).read()
    default = re.search(r'cmd="\$\{\*:-(?P<cmd>[^}]*)\}"', script)["cmd"]
    assert " && ".join(c for c, _ in block.commands()) == default


@pytest.mark.unit
@pytest.mark.parametrize("block", params("pytest"))
def test_commands_mapped_to_tests_are_run_by_them(block):
    ids = block.args.split()
    assert ids, f"{block.where}: no test named"
    sources = []
    for test_id in ids:
        file, _, name = test_id.partition("::")
        path = os.path.join(ROOT, "harness", file)
        assert os.path.isfile(path), f"{block.where}: {file} does not exist"
        text = open(path).read()
        assert re.search(rf"^def {re.escape(name)}\(", text, re.M), f"{block.where}: no test {test_id}"
        sources.append(text)
    for command, _ in block.commands():
        words = command.split()
        key = words[1] if words[0] == "make" else os.path.basename(words[0])
        assert any(key in s for s in sources), f"{block.where}: none of {ids} runs {command!r}"


# --- commands run here --------------------------------------------------------------

def match_output(shown, actual):
    """None when the shown lines are in actual (see the module's doc), else
    the first shown line that is not, with where the search was."""
    pos, gap = 0, False
    for want in shown:
        if want.strip() == "...":
            gap = True
            continue
        rx = re.compile(".*?".join(re.escape(p) for p in want.split("...")) + r"\s*")
        candidates = range(pos, len(actual)) if gap else range(pos, min(pos + 1, len(actual)))
        hit = next((i for i in candidates if rx.fullmatch(actual[i])), None)
        if hit is None:
            return f"not found{' (as the next line)' if not gap else ''}: {want!r}"
        pos, gap = hit + 1, False
    return None


@pytest.mark.unit
def test_output_matching_finds_drift():
    actual = ["make: building", "bootcheck: [1/4] payload finder ... files payload, 0.2 s", "PASS 1 a", "PASS 2 b",
              "FAIL 3 c"]
    assert match_output(["...", "bootcheck: [1/4] payload finder ... files payload, ... s", "PASS 1 a"], actual) is None
    assert match_output(["PASS 1 a", "...", "FAIL 3 c"], actual) is not None      # the first line is not first
    assert match_output(["...", "PASS 1 a", "FAIL 3 c"], actual) is not None      # not consecutive
    assert match_output(["...", "PASS 1 a", "...", "FAIL 3 c"], actual) is None
    assert match_output(["...", "PASS 2 a"], actual) is not None


def _build_paths(text):
    rel = os.path.relpath(BUILD, ROOT)
    return text if rel == "build" else text.replace("build/", f"{BUILD}/")


def run_block(block, extra_env=None):
    env = {**os.environ, "BUILD": BUILD, **(extra_env or {})}
    failures = []
    for command, shown in block.commands():
        r = subprocess.run(["bash", "-c", _build_paths(command)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=180, start_new_session=True)
        actual = r.stdout.replace("\r", "").splitlines()
        problem = match_output([_build_paths(l) for l in shown], actual)
        if problem:
            failures.append(f"{block.where}: $ {command}\n  {problem}\n  output:\n    " + "\n    ".join(actual[-60:]))
    return failures


@pytest.mark.qemu
@pytest.mark.xdist_group("docs")
@pytest.mark.parametrize("block", params("run"))
def test_shown_command_gives_the_shown_output(block):
    failures = run_block(block)
    assert failures == [], "\n".join(failures)


@pytest.mark.qemu
@pytest.mark.xdist_group("docs")
@pytest.mark.parametrize("block", params("sel4"))
def test_shown_real_sel4_command_gives_the_shown_output(block):
    kernels = os.environ.get("SEL4_KERNEL", "").split()
    if not kernels:
        pytest.skip(f"{block.where} needs a real seL4 kernel: give SEL4_KERNEL=kernel.elf")
    # The documents show AArch64 runs: the first AArch64 kernel given, a
    # single-core one if there is one.
    arm = [k for k in kernels if os.path.isfile(k) and target.read(k).arch == "aarch64"]
    if not arm:
        pytest.skip(f"{block.where} shows an AArch64 run; SEL4_KERNEL has no AArch64 kernel")
    kernel = next((k for k in arm if target.read(k).nodes == 1), arm[0])
    failures = run_block(block, {"SEL4_KERNEL": kernel})
    assert failures == [], "\n".join(failures)


# --- the contract rules catalogue ---------------------------------------------------

CATALOGUE_DOC = os.path.join(ROOT, "docs", "contract-rules.md")
# diagnosis.py's helpers that make no diagnosis line of their own
DIAGNOSIS_HELPERS = {"describe", "stop_number"}


def catalogue_entries():
    return re.findall(r"^### `([a-z0-9_]+)`$", open(CATALOGUE_DOC).read(), re.M)


def code_rules_and_diagnoses():
    names = [name for name, _ in contract.CHAIN]
    names += [e.key for e in roottask_failures.CATALOGUE]
    names += [key for key, _ in roottask_failures.FAULT_TEXTS]
    names += [n for n, v in vars(diagnosis).items() if callable(v) and not n.startswith("_")
              and getattr(v, "__module__", "") == diagnosis.__name__ and n not in DIAGNOSIS_HELPERS]
    return names


@pytest.mark.unit
def test_every_rule_and_diagnosis_has_one_catalogue_entry_and_every_entry_is_in_the_code():
    entries = catalogue_entries()
    code = set(code_rules_and_diagnoses())
    assert sorted(e for e in set(entries) if entries.count(e) > 1) == [], "entries listed twice"
    assert sorted(code - set(entries)) == [], "rules or diagnoses without a catalogue entry"
    assert sorted(set(entries) - code) == [], "catalogue entries the code does not have"


@pytest.mark.unit
def test_catalogue_rules_are_in_chain_order_with_their_link_and_a_source():
    text = open(CATALOGUE_DOC).read()
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    by_name = {s.split("`")[1]: s for s in sections}
    assert catalogue_entries()[:len(contract.CHAIN)] == [name for name, _ in contract.CHAIN]
    for i, (name, _) in enumerate(contract.CHAIN):
        assert f"Link {i + 1}." in by_name[name], f"{name}: not link {i + 1}"
    for name, body in by_name.items():
        assert re.search(r"^seL4: ", body, re.M), f"{name}: no seL4 source"
