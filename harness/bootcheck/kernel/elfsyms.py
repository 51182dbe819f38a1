"""The symbols of an ELF file's .symtab as {name: (st_value, st_size)}, read
with struct from the file's own tables.

pyelftools parses every symbol through construct, about 40 us a symbol, and
the test workers read some 90,000 symbols a suite run (bootcheck.kernel.target and
bootcheck.kernel.expect both want every kernel's and root task's symbols). Reading
the section headers, the symbol table and its string table with
struct.iter_unpack gives the same dict for a few microseconds a symbol.

Only a 64-bit little-endian file whose tables are all inside the file and
that pyelftools would read without a complaint is read here. Anything else
(ELF32, big-endian, extended section numbering, a compressed or unusual
section, a name running past its string table, a table past the end of the
file) is left to pyelftools itself, so odd and broken files give the same
dict, or raise the same exception, as they always did.
"""

import struct

ELF64_LE_IDENT = b"\x7fELF\x02\x01"     # EI_MAG0..3, ELFCLASS64, ELFDATA2LSB
ELF64_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
# sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize
SECTION_HEADER = struct.Struct("<IIQQQQIIQQ")
# st_name, st_info, st_other, st_shndx, st_value, st_size
SYMBOL = struct.Struct("<IBBHQQ")

SHT_SYMTAB, SHT_STRTAB = 2, 3
SHF_COMPRESSED = 0x800
SHN_LORESERVE = 0xff00
EM_ARM = 40
# Section types pyelftools (0.29, Debian's) turns into a section object
# without reading the file: NULL, PROGBITS, STRTAB, NOTE, NOBITS,
# INIT/FINI/PREINIT_ARRAY, GROUP, and the processor-specific ones except
# EM_ARM's attributes section, which it parses on sight. It builds an object
# for every section when asked for one by name, so any other type (REL,
# DYNAMIC, HASH, versions ...) might make it raise: that file is its to read.
READ_NOTHING_SECTION_TYPES = frozenset({0, 1, 3, 7, 8, 14, 15, 16, 17})
PROCESSOR_SECTION_TYPES = range(0x70000000, 0x80000000)


class NotPlain(Exception):
    """The file is not one this module reads exactly as pyelftools does."""


def symbols(elf):
    """{name: (st_value, st_size)} of the .symtab of `elf` (a pyelftools
    ELFFile), in symbol index order, so a later symbol of a name replaces an
    earlier one; unnamed symbols are left out. None when there is no
    .symtab."""
    try:
        return read_symtab(elf.stream)
    except NotPlain:
        return pyelftools_symbols(elf)


def pyelftools_symbols(elf):
    """symbols() the slow way, for the files read_symtab leaves alone (and
    to compare it with)."""
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return None
    return {s.name: (s["st_value"], s["st_size"]) for s in symtab.iter_symbols() if s.name}


def read_symtab(stream):
    """symbols() of the ELF file open as the binary `stream`, read with
    struct. NotPlain when the file is not one it can read exactly as
    pyelftools does."""
    stream.seek(0, 2)
    file_size = stream.tell()

    def read(offset, size):
        # Checked before reading: a broken size must not become a huge read.
        if offset + size > file_size:
            raise NotPlain(f"{size:#x} bytes at {offset:#x} run past the end of the file")
        stream.seek(offset)
        return stream.read(size)

    header = read(0, ELF64_HEADER.size)
    ident, _, e_machine, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx = ELF64_HEADER.unpack(header)
    if not ident.startswith(ELF64_LE_IDENT):
        raise NotPlain("not a little-endian ELF64 file")
    if shoff == 0 or not 0 < shnum < SHN_LORESERVE or shentsize != SECTION_HEADER.size or shstrndx >= shnum:
        raise NotPlain("no section header table of the ordinary kind")
    sections = list(SECTION_HEADER.iter_unpack(read(shoff, shnum * SECTION_HEADER.size)))
    section_names = read(sections[shstrndx][4], sections[shstrndx][5])

    # pyelftools finds a section by name through a map of all of them where
    # the last of a name wins; it builds every section to make that map.
    index_of_name = {}
    for index, (sh_name, sh_type, sh_flags, _, _, sh_size, sh_link, _, _, sh_entsize) in enumerate(sections):
        index_of_name[_string_at(section_names, sh_name)] = index
        if sh_flags & SHF_COMPRESSED:
            raise NotPlain(f"section {index} is compressed")
        if sh_type == SHT_SYMTAB:
            if sh_entsize == 0 or sh_size % sh_entsize or sh_link >= shnum or sections[sh_link][1] != SHT_STRTAB:
                raise NotPlain(f"symbol table {index} is not of the ordinary kind")
        elif sh_type not in READ_NOTHING_SECTION_TYPES and (
                sh_type not in PROCESSOR_SECTION_TYPES or e_machine == EM_ARM):
            raise NotPlain(f"section {index} has type {sh_type:#x}")

    symtab_index = index_of_name.get(b".symtab")
    if symtab_index is None:
        return None
    _, sh_type, _, _, sh_offset, sh_size, sh_link, _, _, sh_entsize = sections[symtab_index]
    if sh_type != SHT_SYMTAB or sh_entsize != SYMBOL.size:
        raise NotPlain(".symtab is not a symbol table of 24-byte entries")
    symbol_bytes = read(sh_offset, sh_size)
    names = read(sections[sh_link][4], sections[sh_link][5])

    found = {}
    for st_name, _, _, _, st_value, st_size in SYMBOL.iter_unpack(symbol_bytes):
        end = names.find(b"\0", st_name)
        if end < 0:
            raise NotPlain(f"a symbol's name at {st_name:#x} runs past its string table")
        if end > st_name:
            # pyelftools' own decoding, so odd bytes give the same names
            found[names[st_name:end].decode("utf-8", errors="replace")] = (st_value, st_size)
    return found


def _string_at(table, offset):
    end = table.find(b"\0", offset)
    if end < 0:
        raise NotPlain(f"a name at {offset:#x} runs past its string table")
    return table[offset:end]


class ImpossibleTables(ValueError):
    """The ELF header describes a section or program header table that
    cannot be there: pyelftools would read garbage as table entries (with
    e_shnum 0 and a section header offset, its entry count comes from
    whatever lies at that offset: a broken ELF32 header made it walk
    millions of sections for minutes)."""


ELF_IDENT_LEN = 16
# (class name, header layout after e_ident, section and program header entry sizes)
ELF_CLASSES = {1: ("ELF32", "HHIIIIIHHHHHH", 40, 32), 2: ("ELF64", "HHIQQQIHHHHHH", 64, 56)}
ENDIAN = {1: "<", 2: ">"}


def check_tables(stream, what="the file"):
    """Raises ImpossibleTables, naming what is wrong, when the ELF header at
    the start of the binary `stream` gives a section or program header
    table whose entries are not of the class's size or that runs past the
    end of the file. Files that are not ELF, or of an unknown class or byte
    order, are left to the reader (pyelftools names those itself)."""
    stream.seek(0, 2)
    file_size = stream.tell()
    stream.seek(0)
    ident = stream.read(ELF_IDENT_LEN)
    if len(ident) < ELF_IDENT_LEN or ident[:4] != b"\x7fELF" or ident[4] not in ELF_CLASSES \
            or ident[5] not in ENDIAN:
        return
    name, layout, shentsize_want, phentsize_want = ELF_CLASSES[ident[4]]
    header = struct.Struct(ENDIAN[ident[5]] + layout)
    raw = stream.read(header.size)
    if len(raw) < header.size:
        raise ImpossibleTables(f"{what}: its {name} header is cut short ({ELF_IDENT_LEN + len(raw)} bytes)")
    _, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, _ = header.unpack(raw)
    for table, offset, count, entsize, want in (("section", shoff, shnum, shentsize, shentsize_want),
                                                ("program", phoff, phnum, phentsize, phentsize_want)):
        if offset == 0 or (count == 0 and table == "program"):
            continue
        if entsize != want:
            raise ImpossibleTables(f"{what}: its {table} header entries are {entsize} bytes, "
                                   f"not the {want} of {name}")
        if count == 0:       # extended numbering: the count is section 0's sh_size
            if offset + entsize > file_size:
                count = 1    # said below: not even section 0 is there
            else:
                size_at, size_format = (20, "I") if name == "ELF32" else (32, "Q")
                stream.seek(offset + size_at)
                count = max(1, struct.unpack(ENDIAN[ident[5]] + size_format,
                                             stream.read(struct.calcsize(size_format)))[0])
        if offset + count * entsize > file_size:
            raise ImpossibleTables(f"{what}: its {table} header table ({count} entries at {offset:#x}) "
                                   f"runs past the end of the file ({file_size:#x} bytes)")
