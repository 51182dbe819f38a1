"""The command a pack target (`make image`, `make emu-mutant-image`) runs,
asked of make once per process, so that a test's pack step need not start
make.

Going through make costs a parse of every make fragment (about 0.05 CPU-s
here) before the pack step starts, and the suite packs a few hundred images per
run. `make -n` prints the recipe make would run; asked with each value a
test gives (KERNEL=, DTB=, OUT=...) replaced by a marker, that recipe is a
template, and filled with one call's values it is the very command line make
would run for that call: make pastes a variable's value into its recipe as
it is. So a value is filled in only when make would paste it unchanged (no
`$`, quote, backslash or newline), and only when make would have nothing to
build first (make all ran; a KERNEL or ROOTTASK under BUILD that does not
exist would be make's own refusal): otherwise command() says None and the
caller runs make.

What differs from running make: a failing pack step's exit status is the
pack script's own (make would say 2) and its output lacks make's closing
`make: *** [...] Error N` line; harness/tests/test_packcmd.py checks that
both ways give the same image bytes and the same pack output."""

import os
import re
import shlex
import subprocess

# The values a test gives per pack: markers in the template.
FILLED = ("KERNEL", "ROOTTASK", "DTB", "OUT", "MEM", "OVERRIDE", "HANDOFF_RECORD", "INITRD",
          "BOOTARGS")
TARGETS = ("image", "emu-mutant-image")
# Characters make or the shell would not pass through as they are.
UNSAFE_VALUE = re.compile(r'[$"\\`\n\0]')
# A recipe line without these is one simple command: run without a shell.
SHELL_SYNTAX = re.compile(r"[$`\\;&|<>(){}*?\[\]~#!\n]")
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Set by pytest for each test or each xdist worker; no make variable reads
# them (a template is then the same for every worker: see _template).
VOLATILE_ENV = ("PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER")
# Read by the pack step alone, from the environment its recipe line inherits (the
# call's own: see command()); no make fragment names them, so they do not
# change the recipe (test_packcmd checks both). Keyed on them, every broken
# payload archive (PAYLOAD_CPIO, one per case) cost a make -n of its own.
PACK_SCRIPT_ENV = ("PACK_UNCHECKED", "PAYLOAD_CPIO")


def _marker(name):
    return f"@@bootcheck-pack-{name}@@"


_templates = {}


def _template(root, target, fixed, filled, env):
    """The recipe lines of `make -n target`, with markers for the filled
    names, or None when make will not say (then every call runs make)."""
    key = (root, target, fixed, filled,
           tuple(sorted((k, v) for k, v in env.items() if k not in VOLATILE_ENV + PACK_SCRIPT_ENV)))
    if key not in _templates:
        _templates[key] = _once_per_run(key, lambda: _ask_make(root, target, fixed, filled, env))
    return _templates[key]


def _once_per_run(key, ask):
    """ask()'s answer, asked once per test run rather than once per xdist
    worker when a run cache is set (bootcheck.pack.runcache, which imports this
    module: hence imported here)."""
    from . import runcache
    if runcache.run_dir() is None:
        return ask()
    return runcache.shared("pack-template", runcache.key_of("pack-template", key), ask)


def _ask_make(root, target, fixed, filled, env):
    """make -n's recipe lines for the template, or None."""
    cmd = ["make", "-n", "-s", "--no-print-directory", "-C", root, target,
           *[f"{k}={v}" for k, v in fixed], *[f"{n}={_marker(n)}" for n in filled]]
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, timeout=60)
        lines = p.stdout.splitlines() if p.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired):
        lines = []
    # A line names the output (a recipe that does not is not a pack step),
    # and none goes on to the next (make -n prints a continued line as
    # written; splitting it would change it).
    ok = lines and any(_marker("OUT") in line for line in lines) and \
        not any(line.endswith("\\") for line in lines)
    return lines if ok else None


def command(target_args, out, env, root, build):
    """[(argv, env)] to run in order from root (each as make would run its
    recipe lines: stop at the first failing one), or None (run make)."""
    if not target_args or target_args[0] not in TARGETS:
        return None
    values = {}
    for arg in target_args[1:]:
        name, eq, value = arg.partition("=")
        if not eq:
            return None
        values[name] = value
    values["OUT"] = str(out)
    if any(UNSAFE_VALUE.search(v) or "@@" in v for v in values.values()):
        return None
    build = os.path.join(root, build)         # make's $(BUILD) (absolute from the harness)
    for name in ("KERNEL", "ROOTTASK"):
        v = values.get(name, "")
        if v and os.path.join(root, v).startswith(build + "/") and not os.path.exists(os.path.join(root, v)):
            return None
    fixed = tuple(sorted((k, v) for k, v in values.items() if k not in FILLED))
    # make picks the loader by the kernel's architecture, read from the file
    # a marker does not name: the template is asked per architecture.
    if "KERNEL_ARCH" not in values:
        fixed = tuple(sorted((*fixed, ("KERNEL_ARCH", _kernel_arch(os.path.join(root, values.get("KERNEL", "")))))))
    filled = tuple(sorted(k for k in values if k in FILLED))
    lines = _template(root, target_args[0], fixed, filled, env)
    if lines is None:
        return None
    # make exports the variables given on its command line to its recipes.
    run_env = dict(env)
    run_env.update(values)
    steps = []
    for line in lines:
        for name in filled:
            line = line.replace(_marker(name), values[name])
        if SHELL_SYNTAX.search(line):
            steps.append((["/bin/bash", "-c", line], run_env))
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            return None
        step_env = dict(run_env)
        while words and ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            step_env[name] = value
        if not words:
            return None
        if words[1:2] == ["--pack"] and not step_env.get("LIBGCC"):
            # What the pack step would ask of gcc itself, asked once per process.
            step_env["LIBGCC"] = _libgcc(step_env.get("CROSS", ""), run_env)
        steps.append((words, step_env))
    return steps


EM_RISCV = 243


def _kernel_arch(path):
    """As the Makefile's KERNEL_ARCH: riscv64 for an ELF with e_machine
    EM_RISCV, aarch64 otherwise (also for no file)."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return "aarch64"
    return "riscv64" if len(head) == 20 and int.from_bytes(head[18:20], "little") == EM_RISCV else "aarch64"


_libgccs = {}


def _libgcc(cross, env):
    if cross not in _libgccs:
        p = subprocess.run([cross + "gcc", "-print-libgcc-file-name"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        path = p.stdout.strip()
        _libgccs[cross] = path if p.returncode == 0 and os.path.isfile(path) else ""
    return _libgccs[cross]
