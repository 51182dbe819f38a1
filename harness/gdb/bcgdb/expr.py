"""The expression language of scenario files.

Conditions, register writes and derived values are written as small Python
expressions, e.g. "mem64(kernel.sym.rootserver + 8*6)" or "bits(SCTLR, 0, 0)".
They are parsed with `ast` and evaluated by a whitelist evaluator: integer
literals, names, + - * // % & | ^ << >> ~ and three functions. Names are
looked up first among known values (facts computed from the ELF files, and
the stop's `let` values; dotted names such as handoff.x0 are one name), then
`el` (the current exception level), then as gdb register names. The same
code checks a scenario on the host (no registers: resolution fails cleanly)
and evaluates it in gdb."""

import ast

MASK64 = (1 << 64) - 1

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b,
    ast.LShift: lambda a, b: a << b,
    ast.RShift: lambda a, b: a >> b,
}
FUNCTIONS = ("mem64", "mem32", "bits")


class ExprError(Exception):
    """An expression that cannot be parsed or evaluated; the message says why."""


def dotted(node):
    """'a.b.c' for Name/Attribute chains, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def parse(text):
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise ExprError(f"expected an integer or an expression string, got {text!r}")
    if isinstance(text, int):
        return ast.Expression(ast.Constant(text))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse {text!r}: {e.msg}") from None
    _check(tree.body, text)
    return tree


def _check(node, text):
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return
    if dotted(node) is not None:
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check(node.left, text)
        _check(node.right, text)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert)):
        _check(node.operand, text)
        return
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and not node.keywords):
        want = 3 if node.func.id == "bits" else 1
        if len(node.args) != want:
            raise ExprError(f"{node.func.id}() takes {want} argument(s) in {text!r}")
        for a in node.args:
            _check(a, text)
        return
    raise ExprError(f"unsupported construct {ast.dump(node)[:60]} in {text!r} "
                    f"(allowed: integers, names, arithmetic, {', '.join(FUNCTIONS)})")


def names_used(text):
    """Every name (dotted or bare) an expression refers to."""
    tree = parse(text)
    out = []
    for node in ast.walk(tree.body):
        name = dotted(node)
        if name is not None and not (isinstance(node, ast.Name) and node.id in FUNCTIONS):
            # Skip the inner parts of a dotted chain: only the outermost counts.
            out.append(name)
    full = set(out)
    return sorted(n for n in full if not any(o != n and o.startswith(n + ".") for o in full))


class Evaluator:
    """Evaluates expressions. read_register(name) -> int or raises ExprError;
    read_memory(address, size) -> int (little-endian) or raises ExprError."""

    def __init__(self, values, read_register=None, read_memory=None):
        self.values = dict(values)
        self.read_register = read_register
        self.read_memory = read_memory

    def eval(self, text):
        return self._eval(parse(text).body, text) & MASK64

    def _name(self, name, text):
        if name in self.values:
            return self.values[name]
        if self.read_register is None or "." in name:
            raise ExprError(f"unknown name {name!r} in {text!r}")
        if name == "el":
            return (self.read_register("cpsr") >> 2) & 3
        return self.read_register(name)

    def _eval(self, node, text):
        if isinstance(node, ast.Constant):
            return node.value
        name = dotted(node)
        if name is not None:
            return self._name(name, text)
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, text), self._eval(node.right, text))
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, text)
            return -v if isinstance(node.op, ast.USub) else ~v
        fn = node.func.id
        args = [self._eval(a, text) for a in node.args]
        if fn == "bits":
            value, hi, lo = args
            if not 0 <= lo <= hi < 64:
                raise ExprError(f"bits(value, {hi}, {lo}): need 0 <= lo <= hi < 64 in {text!r}")
            return (value >> lo) & ((1 << (hi - lo + 1)) - 1)
        if self.read_memory is None:
            raise ExprError(f"{fn}() reads guest memory and cannot be evaluated here: {text!r}")
        return self.read_memory(args[0] & MASK64, 8 if fn == "mem64" else 4)
