"""bootcheck.kernel.elfsyms reads a .symtab with struct instead of pyelftools: the
same {name: (st_value, st_size)} (same keys in the same order, a later
symbol of a name replacing an earlier one) on every ELF the build makes,
None on a stripped one, and on broken or unusual files either the same
answer or a step aside to pyelftools, so callers see the same dict or the
same exception as before."""

import glob
import io
import os
import struct
import subprocess
import sys

import pytest
from elftools.elf.elffile import ELFFile

from bootcheck.kernel import elfsyms, target

from conftest import BUILD, Artifacts

pytestmark = pytest.mark.unit

BUILT_ELFS = sorted(set(glob.glob(os.path.join(BUILD, "targets", "standin*", "**", "*.elf"), recursive=True)
                        + glob.glob(os.path.join(BUILD, "roottask", "**", "*.elf"), recursive=True)))
BROKEN_ELFS = sorted(glob.glob(os.path.join(BUILD, "fixtures", "broken", "*.elf")))
SHDR_SIZE, SYM_SIZE = 64, 24


def _by_struct(path):
    with open(path, "rb") as f:
        return elfsyms.read_symtab(f)


def _by_pyelftools(path):
    with open(path, "rb") as f:
        return elfsyms.pyelftools_symbols(ELFFile(f))


def _outcome(read, path):
    """What a caller of `read` sees for the file: its value, or the
    exception's type and text."""
    with open(path, "rb") as f:
        try:
            return "returned", read(ELFFile(f))
        except Exception as e:      # noqa: BLE001 -- the very thing compared
            return "raised", type(e).__name__, str(e)


def _assert_same_dict(ours, theirs, path):
    assert ours == theirs, path
    assert list(ours) == list(theirs), f"{path}: keys in another order"


def test_the_built_elfs_read_as_pyelftools_reads_them():
    assert len(BUILT_ELFS) >= 4, f"too few ELF files under {BUILD}/targets/standin*, {BUILD}/roottask: make all"
    assert Artifacts.standin_kernel in BUILT_ELFS and Artifacts.roottask in BUILT_ELFS
    repeated_names = 0
    for path in BUILT_ELFS:
        ours, theirs = _by_struct(path), _by_pyelftools(path)     # NotPlain here: a plain file not read
        assert theirs, f"{path} has no symbols: the comparison would say nothing"
        _assert_same_dict(ours, theirs, path)
        with open(path, "rb") as f:
            names = [s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols() if s.name]
        repeated_names += len(names) - len(set(names))
    # AArch64's mapping symbols ($x, $d) and file-local statics repeat: the
    # "later one wins" rule is exercised, not assumed.
    assert repeated_names > 0


def test_a_stripped_kernel_has_no_symbol_table(tmp_path):
    stripped = tmp_path / "kernel.elf"
    subprocess.run(["aarch64-linux-gnu-strip", "-o", str(stripped), Artifacts.standin_kernel], check=True)
    assert _by_pyelftools(stripped) is None
    assert _by_struct(stripped) is None


@pytest.mark.parametrize("path", BROKEN_ELFS or ["none"], ids=os.path.basename)
def test_a_broken_input_is_read_alike_or_left_to_pyelftools(path, monkeypatch):
    if path == "none":
        pytest.fail(f"no broken ELF fixtures under {BUILD}/fixtures/broken: make all")
    try:
        ours = _by_struct(path)
    except elfsyms.NotPlain:
        # symbols() must hand this file to pyelftools. Not compared with
        # pyelftools' answer here: on kernel-elfclass32.elf (e_shnum 0,
        # e_shentsize 0) pyelftools walks the same section header over and
        # over for minutes, as it did before this reader existed.
        monkeypatch.setattr(elfsyms, "pyelftools_symbols", lambda elf: "pyelftools' answer")
        with open(path, "rb") as f:
            try:
                elf = ELFFile(f)
            except Exception:       # noqa: BLE001 -- callers fail here, before any symbol is read
                return
            assert elfsyms.symbols(elf) == "pyelftools' answer"
        return
    if ours is None:
        assert _by_pyelftools(path) is None
    else:
        _assert_same_dict(ours, _by_pyelftools(path), path)


def _symtab_header(data):
    """(offset of .symtab's section header, its fields) in an ELF64 LE file."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    index = ELFFile(io.BytesIO(bytes(data))).get_section_index(".symtab")
    where = shoff + index * SHDR_SIZE
    return where, struct.unpack_from("<IIQQQQIIQQ", data, where)


def _mutant(tmp_path, name, change):
    data = bytearray(open(Artifacts.standin_kernel, "rb").read())
    change(data)
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _name_past_string_table(data):
    _, (_, _, _, _, sym_offset, _, link, _, _, _) = _symtab_header(data)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    strtab_size, = struct.unpack_from("<Q", data, shoff + link * SHDR_SIZE + 0x20)
    struct.pack_into("<I", data, sym_offset + 5 * SYM_SIZE, strtab_size + 8)


def _entry_size_zero(data):
    where, _ = _symtab_header(data)
    struct.pack_into("<Q", data, where + 0x38, 0)


def _symtab_past_end_of_file(data):
    where, fields = _symtab_header(data)
    struct.pack_into("<Q", data, where + 0x18, len(data) - fields[5] // 2 // SYM_SIZE * SYM_SIZE)


def _big_endian(data):
    data[5] = 2


@pytest.mark.parametrize("change", [_name_past_string_table, _entry_size_zero, _symtab_past_end_of_file,
                                    _big_endian], ids=lambda c: c.__name__.strip("_"))
def test_an_unusual_file_is_left_to_pyelftools(tmp_path, change):
    """Each mutant of the stand-in kernel is one the struct reader must not
    read itself; whatever pyelftools makes of it (a dict, an exception) is
    what callers get."""
    path = _mutant(tmp_path, "kernel.elf", change)
    with pytest.raises(elfsyms.NotPlain):
        _by_struct(path)
    assert _outcome(elfsyms.symbols, path) == _outcome(elfsyms.pyelftools_symbols, path)


def test_a_renamed_symtab_reads_as_none(tmp_path):
    """No section named .symtab (here renamed to .strtab) is no symbol table,
    as pyelftools finds sections by name; read by the struct reader."""
    def rename(data):
        shoff, = struct.unpack_from("<Q", data, 0x28)
        where, _ = _symtab_header(data)
        link, = struct.unpack_from("<I", data, where + 0x28)
        strtab_name, = struct.unpack_from("<I", data, shoff + link * SHDR_SIZE)
        struct.pack_into("<I", data, where, strtab_name)
    path = _mutant(tmp_path, "kernel.elf", rename)
    assert _by_pyelftools(path) is None
    assert _by_struct(path) is None


def test_symbols_is_the_struct_reader_on_a_plain_file(monkeypatch):
    """symbols() must not quietly take pyelftools' path for an ordinary kernel."""
    def refuse(elf):
        raise AssertionError("pyelftools path taken")
    monkeypatch.setattr(elfsyms, "pyelftools_symbols", refuse)
    with open(Artifacts.standin_kernel, "rb") as f:
        assert "kernel_stack_alloc" in elfsyms.symbols(ELFFile(f))


# The ELF header's tables are checked before pyelftools reads the file: with
# e_shnum 0 and a section header offset, pyelftools takes its section count
# from whatever lies there (for kernel-elfclass32.elf it walked sections for
# minutes: bootcheck.kernel.target hung on it).
IMPOSSIBLE = {
    "kernel-elfclass32.elf": "its section header entries are 0 bytes, not the 40 of ELF32",
    "roottask-elfclass32.elf": "its section header entries are 0 bytes, not the 40 of ELF32",
    "kernel-big-endian.elf": "its section header entries are 16384 bytes, not the 64 of ELF64",
    "kernel-phentsize-64.elf": "its program header entries are 64 bytes, not the 56 of ELF64",
    "kernel-truncated-to-40-bytes.elf": "its ELF64 header is cut short (40 bytes)",
}


@pytest.mark.parametrize("name", sorted(IMPOSSIBLE))
def test_impossible_header_tables_are_refused_at_once(name):
    from bootcheck.kernel import expect
    path = os.path.join(BUILD, "fixtures", "broken", name)
    for read in (target.read, expect.elf_facts):
        with pytest.raises(elfsyms.ImpossibleTables) as e:
            read(path)
        assert str(e.value) == f"{path}: {IMPOSSIBLE[name]}"


def test_the_target_command_names_an_impossible_kernel_in_one_line():
    path = os.path.join(BUILD, "fixtures", "broken", "kernel-elfclass32.elf")
    p = subprocess.run([sys.executable, "-m", "bootcheck.kernel.target", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60,
                       cwd=os.path.join(os.path.dirname(__file__), ".."))
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == f"bootcheck.kernel.target: error: {path}: {IMPOSSIBLE['kernel-elfclass32.elf']}\n"


def test_bootcheck_describe_describes_each_kernel_and_names_the_unreadable_one():
    """The same description as -m bootcheck.kernel.target, from the program a
    user has (build/bin/bootcheck): one kernel described, one refused in a
    line, exit 1 for the run."""
    broken = os.path.join(BUILD, "fixtures", "broken", "kernel-elfclass32.elf")
    p = subprocess.run([os.path.join(BUILD, "bin", "bootcheck"), "describe", Artifacts.standin_kernel, broken],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    t = target.read(Artifacts.standin_kernel)
    assert p.stdout.splitlines()[0] == f"{Artifacts.standin_kernel}: {t.describe()}  [{t.id()}]"
    assert p.stdout.splitlines()[1:] == [f"  {k:9} {v}" for k, v in t.evidence.items()]
    assert p.stderr == f"bootcheck describe: error: {broken}: {IMPOSSIBLE['kernel-elfclass32.elf']}\n"


def test_every_built_elf_has_possible_tables():
    for path in BUILT_ELFS + [Artifacts.standin_kernel]:
        with open(path, "rb") as f:
            elfsyms.check_tables(f, path)      # raises if not
