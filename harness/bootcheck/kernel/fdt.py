"""A reader for flattened device trees (DTB), enough for the Linux contract:
the properties of a node by path, and /memory's RAM ranges. Big-endian
header (magic, totalsize, off_dt_struct, off_dt_strings, ...) and a token
stream (BEGIN_NODE name, PROP len nameoff value, END_NODE, NOP, END)."""

MAGIC = 0xd00dfeed
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9


class FdtError(Exception):
    pass


def _u32(b, off):
    return int.from_bytes(b[off:off + 4], "big")


def nodes(blob):
    """{path: {property: bytes}} of every node."""
    if len(blob) < 40 or _u32(blob, 0) != MAGIC:
        raise FdtError("not a DTB (no magic 0xd00dfeed)")
    total, off_struct, off_strings = _u32(blob, 4), _u32(blob, 8), _u32(blob, 12)
    if total > len(blob):
        raise FdtError(f"DTB totalsize {total} exceeds the {len(blob)} bytes given")
    out, stack, pos = {}, [], off_struct
    while pos + 4 <= total:
        token = _u32(blob, pos)
        pos += 4
        if token == BEGIN_NODE:
            end = blob.index(b"\0", pos)
            name = blob[pos:end].decode()
            pos = (end + 4) & ~3
            stack.append(name)
            path = "/" + "/".join(n for n in stack[1:])
            out[path] = {}
        elif token == PROP:
            length, nameoff = _u32(blob, pos), _u32(blob, pos + 4)
            pos += 8
            nend = blob.index(b"\0", off_strings + nameoff)
            pname = blob[off_strings + nameoff:nend].decode()
            out["/" + "/".join(stack[1:])][pname] = blob[pos:pos + length]
            pos = (pos + length + 3) & ~3
        elif token == END_NODE:
            stack.pop()
        elif token == NOP:
            continue
        elif token == END:
            return out
        else:
            raise FdtError(f"bad structure token {token} at offset {pos - 4}")
    raise FdtError("structure block ends without FDT_END")


def cells(value):
    """A property as a big-endian number (1 or 2 cells)."""
    return int.from_bytes(value, "big")


def memory_ranges(tree):
    """[(start, end)] from every /memory node's reg (2 address + 2 size cells)."""
    ranges = []
    for path, props in tree.items():
        if props.get("device_type") == b"memory\0" and "reg" in props:
            reg = props["reg"]
            for i in range(0, len(reg) - 15, 16):
                base, size = cells(reg[i:i + 8]), cells(reg[i + 8:i + 16])
                ranges.append((base, base + size))
    return ranges
