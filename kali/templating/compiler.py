"""Compiler: a composed node tree → the Python source of one function, compiled once.

The generated function takes the context dict and returns a [`Rendered`][kali.templating.Rendered]
iolist. Its shape
is chosen for speed (see `benchmarks/bench_templates.py`):

* literal text and values between two block tags become one f-string, `f"<td>{_e(x)}</td>"`;
  `_e` returns ints and floats unchanged, so the f-string formats them without a Python call;
* a `{for}` at the top level appends one list node holding one string per iteration; inside an
  iteration, nested loops are joined (`_j([...])`) and `{if}` becomes `a if c else b`, so an
  iteration is built by one expression with no `append` per value;
* `{.x}` on its own appends the value as a nested node, so a page body placed in a layout is
  never copied;
* `x.name` stays a plain attribute access unless `name` is one that the interpreter's
  machinery has (`gi_frame`, `f_globals`, `replace`...: `runtime.GUARDED_ATTRIBUTES`);
  those become `_ga(x, 'name')`, which refuses them on frames, code objects, generators and
  the like. Attributes such as `item.name` therefore cost nothing extra.

Context names are bound once, at the top, from the context dict: a missing name stays unbound,
and using it raises `UnboundLocalError` on the line of the tag, which the template turns into
[`UndefinedError`][kali.templating.UndefinedError] (strict mode); in lenient mode it is bound to
[`UNDEFINED`][kali.templating.runtime.UNDEFINED]. Loop variables are comprehension variables, so
they
never leak out of their loop. String constants are hoisted to module level (`_k0 = 'a'`), which
keeps quotes and backslashes out of the f-strings.

Every line of generated code is mapped to the template position it came from; the source is
deterministic (compiling the same template twice gives the same text).
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import CodeType

from .composer import Composition, Source
from .errors import TemplateSyntaxError
from .formatters import Formatter
from .nodes import For, Group, If, Node, Output, Pos, Text
from .runtime import GUARDED_ATTRIBUTES, SAFE_BUILTINS, namespace

__all__ = ["CompiledCode", "compile_nodes"]

_Frag = list[tuple[int, str, Pos | None]]
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?\d*[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?\Z", re.S)


def _literal_table(fstring: bool) -> dict[int, str]:
    table = {c: f"\\x{c:02x}" for c in range(32)}
    table.update({0x7F: "\\x7f", ord("\\"): "\\\\", ord('"'): '\\"'})
    table.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
    table.update({c: f"\\u{c:04x}" for c in range(0xD800, 0xE000)})
    if fstring:
        table.update({ord("{"): "{{", ord("}"): "}}"})
    return table


_PLAIN = _literal_table(False)
_FSTRING = _literal_table(True)


@dataclass
class CompiledCode:
    """What compiling one template produced."""

    name: str
    source: str
    code: CodeType
    function: Callable[[dict[str, object]], list[object]]
    filename: str
    positions: list[Pos | None]
    """Template position of each generated line (index = Python line number)."""
    texts: dict[str, str]
    dependencies: list[Source] = field(default_factory=list)

    def position(self, lineno: int) -> Pos | None:
        """The template position of generated line `lineno` (or of the closest line above)."""
        for index in range(min(lineno, len(self.positions) - 1), 0, -1):
            pos = self.positions[index]
            if pos is not None:
                return pos
        return None


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.positions: list[Pos | None] = []
        self.level = 0

    def line(self, text: str, pos: Pos | None = None) -> None:
        self.lines.append("    " * self.level + text)
        self.positions.append(pos)

    def frag(
        self, prefix: str, frag: _Frag, suffix: str, pos: Pos | None, split: bool = False
    ) -> None:
        """Write `prefix + frag + suffix`, on one line if the fragment has only one."""
        if len(frag) == 1 and not split:
            self.line(prefix + frag[0][1] + suffix, frag[0][2] or pos)
            return
        self.line(prefix, pos)
        for indent, text, at in frag[:-1]:
            self.line("    " * (indent + 1) + text, at or pos)
        indent, text, at = frag[-1]
        self.line("    " * (indent + 1) + text + suffix, at or pos)


class _Names(ast.NodeTransformer):
    """Hoists string constants and records the context names an expression reads."""

    def __init__(self, compiler: _Compiler, scope: frozenset[str]) -> None:
        self.compiler = compiler
        self.scope = scope

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str | bytes):
            return ast.Name(self.compiler.constant(node.value), ast.Load())
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id not in self.scope:
            self.compiler.free.add(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value = self.visit(node.value)
        if node.attr in GUARDED_ATTRIBUTES:
            name = ast.Name(self.compiler.constant(node.attr), ast.Load())
            return ast.Call(ast.Name("_ga", ast.Load()), [value, name], [])
        node.value = value
        return node


def _target_names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _flatten(nodes: Iterable[Node]) -> Iterable[Node]:
    for node in nodes:
        if isinstance(node, Group):
            yield from _flatten(node.body)
        else:
            yield node


def _join_plus(atoms: list[_Frag]) -> _Frag:
    out: _Frag = []
    for index, atom in enumerate(atoms):
        if index:
            indent, text, pos = atom[0]
            out.append((indent, "+ " + text, pos))
            out.extend(atom[1:])
        else:
            out.extend(atom)
    return out


def _shift(frag: _Frag, by: int = 1) -> _Frag:
    return [(indent + by, text, pos) for indent, text, pos in frag]


def _close(frag: _Frag, suffix: str) -> _Frag:
    indent, text, pos = frag[-1]
    return [*frag[:-1], (indent, text + suffix, pos)]


class _Compiler:
    def __init__(
        self,
        name: str,
        texts: Mapping[str, str],
        formatters: Mapping[str, Formatter],
        strict: bool,
    ) -> None:
        self.name = name
        self.texts = texts
        self.formatters = formatters
        self.strict = strict
        self.constants: dict[tuple[type, str | bytes], str] = {}
        self.free: set[str] = set()
        self.used_formatters: set[str] = set()
        self.temps = 0

    # -- helpers -------------------------------------------------------------------------

    def fail(self, message: str, pos: Pos, col: int = 0) -> TemplateSyntaxError:
        lines = self.texts.get(pos.template, "").split("\n")
        source = lines[pos.line - 1] if 0 < pos.line <= len(lines) else ""
        return TemplateSyntaxError(message, pos.template, pos.line, col or pos.col, source)

    def constant(self, value: str | bytes) -> str:
        key = (type(value), value)
        if key not in self.constants:
            self.constants[key] = f"_k{len(self.constants)}"
        return self.constants[key]

    def expr(self, node: ast.expr, scope: frozenset[str]) -> str:
        tree = _Names(self, scope).visit(copy.deepcopy(node))
        return ast.unparse(tree)

    def temp(self, prefix: str = "_t") -> str:
        self.temps += 1
        return f"{prefix}{self.temps}"

    def kind(self, node: Output) -> str:
        """`"value"` if the tag is pure (no calls, no named formatter), else `"call"`."""
        if node.fmt is not None and node.fmt in self.formatters:
            return "call"
        if any(isinstance(n, ast.Call) for n in ast.walk(node.expr)):
            return "call"
        return "value"

    def value(self, node: Output, scope: frozenset[str]) -> str:
        """The code inside the f-string braces for one output tag."""
        code = self.expr(node.expr, scope)
        fmt = node.fmt
        if fmt is None:
            return f"_r({code})" if node.raw else f"_e({code})"
        if fmt in self.formatters:
            self.used_formatters.add(fmt)
            call = f"_f_{fmt}({code})"
            return f"_r({call})" if node.raw else f"_e({call})"
        if not _SPEC.match(fmt):
            known = ", ".join(sorted(self.formatters)) or "none"
            raise self.fail(
                f"unknown formatter {fmt!r} (registered: {known}; or use a format spec such as "
                "'.2f'; to write a literal brace, use '{{' or put a space after '{')",
                node.pos,
                node.fmt_col,
            )
        spec = self.constant(fmt)
        return f"_rf({code}, {spec})" if node.raw else f"_ef({code}, {spec})"

    # -- expression form ------------------------------------------------------------------

    def run(self, pieces: list[tuple[str, str, Pos]]) -> _Frag:
        """Literal text and values → implicitly concatenated string literals, a line each."""
        lines: list[tuple[tuple[str, int], list[tuple[str, str]], Pos]] = []
        # A pure value used twice in one run (``title="{item.name}">{item.name}``) is computed
        # and escaped once: the first use binds it with ``:=``, the next ones reuse it.
        counts: dict[str, int] = {}
        for kind, content, _ in pieces:
            if kind == "value":
                counts[content] = counts.get(content, 0) + 1
        reuse: dict[str, str] = {}
        for index, (kind, content, pos) in enumerate(pieces):
            if kind == "value" and counts[content] > 1:
                if content in reuse:
                    content = reuse[content]
                else:
                    reuse[content] = self.temp("_v")
                    content = f"({reuse[content]} := {content})"
                pieces[index] = (kind, content, pos)
        for kind, content, pos in pieces:
            if kind == "text":
                split = content.split("\n")
                chunks = [c + "\n" for c in split[:-1]]
                if split[-1]:
                    chunks.append(split[-1])
            else:
                chunks = [content]
            for offset, chunk in enumerate(chunks):
                key = (pos.template, pos.line + offset)
                if not lines or lines[-1][0] != key:
                    at = pos if not offset else Pos(pos.template, pos.line + offset, 1)
                    lines.append((key, [], at))
                lines[-1][1].append((kind, chunk))
        frag: _Frag = []
        for _key, parts, pos in lines:
            if all(kind == "text" for kind, _ in parts):
                text = "".join(c for _, c in parts).translate(_PLAIN)
                frag.append((0, f'"{text}"', pos))
            else:
                body = "".join(
                    c.translate(_FSTRING) if kind == "text" else "{" + c + "}" for kind, c in parts
                )
                frag.append((0, f'f"{body}"', pos))
        return frag

    def body_expr(self, nodes: Iterable[Node], scope: frozenset[str]) -> _Frag:
        atoms: list[_Frag] = []
        pieces: list[tuple[str, str, Pos]] = []
        for node in _flatten(nodes):
            if isinstance(node, Text):
                if node.text:
                    pieces.append(("text", node.text, node.pos))
            elif isinstance(node, Output):
                pieces.append((self.kind(node), self.value(node, scope), node.pos))
            else:
                if pieces:
                    atoms.append(self.run(pieces))
                    pieces = []
                if isinstance(node, For):
                    atoms.append(self.for_expr(node, scope))
                elif isinstance(node, If):
                    atoms.append(self.if_expr(node, scope))
        if pieces:
            atoms.append(self.run(pieces))
        if not atoms:
            return [(0, '""', None)]
        return _join_plus(atoms)

    def comprehension(self, node: For, scope: frozenset[str]) -> tuple[_Frag, str]:
        target = ast.unparse(node.target)
        iterable = self.expr(node.iterable, scope)
        inner = scope | _target_names(node.target)
        return self.body_expr(node.body, inner), f"for {target} in {iterable}"

    def for_expr(self, node: For, scope: frozenset[str]) -> _Frag:
        body, clause = self.comprehension(node, scope)
        if node.empty is None:
            return [(0, "_j([", node.pos), *_shift(body), (1, clause + "])", node.pos)]
        temp = self.temp()
        empty = self.body_expr(node.empty, scope)
        return _close(
            [
                (0, f"(_j({temp}) if ({temp} := [", node.pos),
                *_shift(body),
                (1, clause + "]) else", node.pos),
                *_shift(empty),
            ],
            ")",
        )

    def if_expr(self, node: If, scope: frozenset[str]) -> _Frag:
        frag: _Frag = [(0, "(", node.pos)]
        for condition, body, pos in node.branches:
            frag.extend(_shift(self.body_expr(body, scope)))
            frag.append((1, f"if {self.expr(condition, scope)} else", pos))
        orelse = node.orelse if node.orelse is not None else ()
        frag.extend(_shift(self.body_expr(orelse, scope)))
        return _close(frag, ")")

    # -- statement form -------------------------------------------------------------------

    def statements(self, out: _Writer, nodes: Iterable[Node]) -> None:
        scope: frozenset[str] = frozenset()
        pieces: list[tuple[str, str, Pos]] = []
        wrote = False

        def flush() -> None:
            nonlocal pieces, wrote
            if pieces:
                out.frag("_a(", self.run(pieces), ")", pieces[0][2])
                pieces = []
                wrote = True

        for node in _flatten(nodes):
            if isinstance(node, Text):
                if node.text:
                    pieces.append(("text", node.text, node.pos))
            elif isinstance(node, Output):
                if node.raw and node.fmt is None:
                    flush()
                    out.line(f"_a(_rn({self.expr(node.expr, scope)}))", node.pos)
                    wrote = True
                else:
                    pieces.append((self.kind(node), self.value(node, scope), node.pos))
            elif isinstance(node, For):
                flush()
                self.for_statement(out, node, scope)
                wrote = True
            elif isinstance(node, If):
                flush()
                self.if_statement(out, node)
                wrote = True
        flush()
        if not wrote:
            out.line("pass")

    def for_statement(self, out: _Writer, node: For, scope: frozenset[str]) -> None:
        body, clause = self.comprehension(node, scope)
        if node.empty is None:
            out.frag("_a([", body, "", node.pos, split=True)
            out.line("    " + clause + "])", node.pos)
            return
        temp = self.temp()
        out.frag(f"{temp} = [", body, "", node.pos, split=True)
        out.line("    " + clause + "]", node.pos)
        out.line(f"if {temp}:", node.pos)
        out.level += 1
        out.line(f"_a({temp})", node.pos)
        out.level -= 1
        out.line("else:", node.pos)
        out.level += 1
        self.statements(out, node.empty)
        out.level -= 1

    def if_statement(self, out: _Writer, node: If) -> None:
        for index, (condition, body, pos) in enumerate(node.branches):
            keyword = "elif" if index else "if"
            out.line(f"{keyword} {self.expr(condition, frozenset())}:", pos)
            out.level += 1
            self.statements(out, body)
            out.level -= 1
        if node.orelse is not None:
            out.line("else:", node.pos)
            out.level += 1
            self.statements(out, node.orelse)
            out.level -= 1

    # -- the function ---------------------------------------------------------------------

    def function(self, nodes: tuple[Node, ...]) -> tuple[str, list[Pos | None], list[str]]:
        body = _Writer()
        body.level = 1
        self.statements(body, nodes)
        head = _Writer()
        head.line(f"# Generated by kali.templating from template {self.name!r}.")
        for (_, value), const in self.constants.items():
            head.line(f"{const} = {value!r}")
        head.line("")
        head.line("")
        head.line("def render(_kw):")
        head.level = 1
        head.line("_o = _R()")
        head.line("_a = _o.append")
        builtins = []
        for name in sorted(self.free):
            if name in SAFE_BUILTINS:
                builtins.append(name)
                head.line(f"{name} = _kw.get({name!r}, _b_{name})")
            elif self.strict:
                head.line("try:")
                head.line(f"    {name} = _kw[{name!r}]")
                head.line("except _KeyError:")  # a context name may be called KeyError
                head.line("    pass")
            else:
                head.line(f"{name} = _kw.get({name!r}, _U)")
        body.line("return _o")
        lines = head.lines + body.lines
        positions: list[Pos | None] = [None, *head.positions, *body.positions]
        return "\n".join(lines) + "\n", positions, builtins


def compile_nodes(
    composition: Composition,
    name: str,
    formatters: Mapping[str, Formatter],
    strict: bool = True,
) -> CompiledCode:
    """Generate, compile and execute the module for one composed template."""
    compiler = _Compiler(name, composition.texts, formatters, strict)
    source, positions, builtins = compiler.function(composition.nodes)
    # "(generated)": the line numbers of this file are those of the Python source, which a
    # traceback's chained cause shows; the template's own lines are in the render error.
    filename = f"<template {name} (generated)>"
    code = compile(source, filename, "exec")
    used = {n: formatters[n] for n in sorted(compiler.used_formatters)}
    ns = namespace(used, builtins)
    exec(code, ns)
    function = ns["render"]
    assert callable(function)
    return CompiledCode(
        name,
        source,
        code,
        function,
        filename,
        positions,
        dict(composition.texts),
        list(composition.dependencies),
    )
