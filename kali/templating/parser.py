"""Parser: tokens → `ParsedTemplate`.

Expressions are parsed with `ast` and checked against a safe subset of Python: names,
attributes, indexing and slicing, calls, literals, comparisons, `and`/`or`/`not`,
arithmetic and `a if c else b`. Names and attributes starting with `_` are refused (they are
reserved for the generated code and keep `__class__` and friends out of reach), and so are the
attributes `format` and `format_map`, whose replacement fields (`{0.__class__}`) would
reach them anyway. Every mistake
raises [`TemplateSyntaxError`][kali.templating.TemplateSyntaxError] with the template name, line and
column.

This is the compile-time half of what an expression may reach; the render-time half (no
attribute of a frame, code object, traceback, generator, coroutine or cell, wherever it came
from) is `runtime.checked_attribute`, which the compiler inserts for those attributes' names.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .errors import TemplateSyntaxError
from .lexer import Token, tokenize
from .nodes import Block, For, If, Include, Node, Output, ParsedTemplate, Pos, Text

__all__ = ["parse", "parse_expression"]

_ALLOWED: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Call,
    ast.keyword,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.Compare,
    ast.BoolOp,
    ast.UnaryOp,
    ast.BinOp,
    ast.IfExp,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Is,
    ast.IsNot,
    ast.In,
    ast.NotIn,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
)
_DESCRIBE = {
    ast.Lambda: "lambda",
    ast.NamedExpr: "':='",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.JoinedStr: "an f-string",
    ast.Starred: "'*' unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Pow: "'**'",
    ast.MatMult: "'@'",
}
_FORMAT_METHODS = frozenset({"format", "format_map"})
"""`str.format` and `str.format_map` follow `{0.attr}` and `{0[key]}` in their text, so they
would reach what the '_' rule keeps out (`{0.__globals__}`): refused as attributes.
"""
_BLOCK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_HINT = " (to write a literal brace, use '{{' or put a space after '{')"


class _Fail:
    """Builds syntax errors for one template."""

    def __init__(self, text: str, name: str) -> None:
        self.lines = text.split("\n")
        self.name = name

    def __call__(self, message: str, line: int, col: int) -> TemplateSyntaxError:
        source = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return TemplateSyntaxError(message, self.name, line, col, source)


def _check(tree: ast.AST, fail: _Fail, line: int, col: int, what: str) -> None:
    """Refuse anything outside the safe subset; `col` is the column of `tree`'s text."""
    for node in ast.walk(tree):
        at = col + getattr(node, "col_offset", 0)
        if isinstance(node, ast.keyword) and node.arg is None:
            raise fail(f"'**' unpacking is not allowed in {what}", line, col)
        if not isinstance(node, _ALLOWED):
            kind = _DESCRIBE.get(type(node), type(node).__name__)
            raise fail(f"{kind} is not allowed in {what}", line, at)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise fail(f"name {node.id!r}: names starting with '_' are reserved", line, at)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise fail(
                f"attribute {node.attr!r}: attributes starting with '_' are not allowed",
                line,
                at,
            )
        if isinstance(node, ast.Attribute) and node.attr in _FORMAT_METHODS:
            if node.end_col_offset is not None and node.end_lineno == node.lineno:
                at = col + node.end_col_offset - len(node.attr)
            raise fail(
                f"attribute {node.attr!r} is not allowed: str.{node.attr} reads attributes and "
                "items named in its text ('{0.__class__}'), past the '_' rule; format a "
                "value with a spec or a formatter instead: {x:.2f}, {x:>10}, {x:num}",
                line,
                at,
            )


def parse_expression(
    text: str, fail: _Fail, line: int, col: int, what: str = "a template expression"
) -> ast.expr:
    """Parse and check one expression whose first character is at (`line`, `col`)."""
    stripped = text.lstrip()
    col += len(text) - len(stripped)
    stripped = stripped.rstrip()
    if not stripped:
        raise fail(f"missing expression in {what}", line, col)
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1 if exc.lineno in (None, 1) else 0
        message = f"invalid expression {stripped!r}: {exc.msg}{_HINT}"
        raise fail(message, line, col + offset) from None
    _check(tree, fail, line, col, what)
    return tree.body


def _check_target(node: ast.expr, fail: _Fail, line: int, col: int) -> None:
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise fail(f"name {node.id!r}: names starting with '_' are reserved", line, col)
        return
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            _check_target(element, fail, line, col + element.col_offset - node.col_offset)
        return
    raise fail("a {for} loop variable must be a name or names separated by commas", line, col)


@dataclass
class _Frame:
    kind: str  # "root", "for", "if", "block"
    pos: Pos
    nodes: list[Node] = field(default_factory=list)
    # for
    target: ast.expr | None = None
    iterable: ast.expr | None = None
    body: list[Node] | None = None
    # if
    condition: ast.expr | None = None
    condition_pos: Pos | None = None
    branches: list[tuple[ast.expr, tuple[Node, ...], Pos]] = field(default_factory=list)
    has_else: bool = False
    # block
    name: str = ""


class _Parser:
    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.fail = _Fail(text, name)
        self.blocks: dict[str, Block] = {}
        self.extends: str | None = None
        self.extends_pos: Pos | None = None
        self.stack: list[_Frame] = [_Frame("root", Pos(name, 1, 1))]

    def pos(self, token: Token) -> Pos:
        return Pos(self.name, token.line, token.col)

    def parse(self) -> ParsedTemplate:
        for token in tokenize(self.text, self.name):
            if token.kind == "text":
                self.stack[-1].nodes.append(Text(token.value, self.pos(token)))
            elif token.kind == "tag":
                self.stack[-1].nodes.append(self.output(token))
            elif token.kind == "block":
                self.block_tag(token)
        if len(self.stack) > 1:
            frame = self.stack[-1]
            opened = f"{{{frame.kind}}}" if frame.kind != "block" else f"{{block {frame.name}}}"
            raise self.fail(f"{opened} is never closed: add {{end}}", frame.pos.line, frame.pos.col)
        nodes = tuple(self.stack[0].nodes)
        if self.extends is not None:
            for node in nodes:
                if isinstance(node, Block) or (isinstance(node, Text) and not node.text.strip()):
                    continue
                line, col = node.pos.line, node.pos.col
                if isinstance(node, Text):  # point at the first visible character
                    lead = node.text[: len(node.text) - len(node.text.lstrip())]
                    if "\n" in lead:
                        line += lead.count("\n")
                        col = len(lead) - lead.rfind("\n")
                    else:
                        col += len(lead)
                raise self.fail(
                    f"content outside {{block}} in a template that extends {self.extends!r} "
                    "would never be shown: move it into a {block}",
                    line,
                    col,
                )
            nodes = tuple(n for n in nodes if isinstance(n, Block))
        return ParsedTemplate(
            self.name, self.text, nodes, self.extends, self.extends_pos, self.blocks
        )

    def output(self, token: Token) -> Output:
        body = token.value
        col = token.col + 1
        raw = body.startswith(".")
        if raw:
            body = body[1:]
            col += 1
            colon = token.colon - 1 if token.colon >= 0 else -1
        else:
            colon = token.colon
        fmt: str | None = None
        fmt_col = 0
        if colon >= 0:
            fmt = body[colon + 1 :]
            fmt_col = col + colon + 1
            body = body[:colon]
            if not fmt:
                raise self.fail(f"missing formatter after ':'{_HINT}", token.line, fmt_col)
        expr = parse_expression(body, self.fail, token.line, col)
        return Output(expr, raw, fmt, self.pos(token), fmt_col)

    def block_tag(self, token: Token) -> None:
        keyword, _, rest = token.value.partition(" ")
        keyword = keyword.strip()
        line = token.line
        rest_col = token.col + 1 + len(keyword) + 1
        pos = self.pos(token)
        top = self.stack[-1]
        if keyword == "for":
            self.open_for(token, pos)
        elif keyword == "if":
            cond = parse_expression(rest, self.fail, line, rest_col, "{if}")
            self.stack.append(_Frame("if", pos, condition=cond, condition_pos=pos))
        elif keyword == "elif":
            if top.kind != "if" or top.has_else:
                where = "after {else}" if top.kind == "if" else "outside {if}"
                raise self.fail(f"{{elif}} {where}", line, token.col)
            cond = parse_expression(rest, self.fail, line, rest_col, "{elif}")
            self.close_branch(top)
            top.condition, top.condition_pos = cond, pos
        elif keyword.rstrip() == "else" and not rest.strip():
            self.else_tag(top, token)
        elif keyword.rstrip() == "end" and not rest.strip():
            self.end_tag(token)
        elif keyword == "block":
            name = rest.strip()
            if not _BLOCK_NAME.match(name):
                raise self.fail(f"invalid block name {name!r}", line, rest_col)
            if name in self.blocks:
                first = self.blocks[name].pos
                raise self.fail(
                    f"block {name!r} is already defined on line {first.line}", line, token.col
                )
            self.stack.append(_Frame("block", pos, name=name))
        elif keyword in ("extends", "include"):
            target = self.template_name(keyword, rest, line, rest_col)
            if keyword == "include":
                top.nodes.append(Include(target, pos))
                return
            if self.extends is not None:
                raise self.fail("a template can extend only one layout", line, token.col)
            if len(self.stack) > 1 or any(
                not (isinstance(n, Text) and not n.text.strip()) for n in top.nodes
            ):
                raise self.fail("{extends} must come first in the template", line, token.col)
            self.extends, self.extends_pos = target, pos
        else:  # pragma: no cover - the lexer only classifies the keywords above as blocks
            raise self.fail(f"unknown block tag {{{token.value}}}", line, token.col)

    def open_for(self, token: Token, pos: Pos) -> None:
        code = token.value + ": pass"
        base = token.col + 1
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            offset = (exc.offset or 1) - 1
            raise self.fail(
                "invalid {for}: expected {for name in expression}", token.line, base + offset
            ) from None
        loop = tree.body[0]
        if not isinstance(loop, ast.For) or loop.orelse:  # pragma: no cover - parse guarantees
            raise self.fail("invalid {for}", token.line, token.col)
        _check_target(loop.target, self.fail, token.line, base + loop.target.col_offset)
        _check(loop.iter, self.fail, token.line, base, "{for}")
        self.stack.append(_Frame("for", pos, target=loop.target, iterable=loop.iter))

    def template_name(self, keyword: str, rest: str, line: int, col: int) -> str:
        try:
            value = ast.literal_eval(rest.strip())
        except (ValueError, SyntaxError):
            value = None
        if not isinstance(value, str) or not value:
            raise self.fail(
                f'{{{keyword}}} takes a quoted template name: {{{keyword} "name"}}', line, col
            )
        return value

    def close_branch(self, frame: _Frame) -> None:
        assert frame.condition is not None and frame.condition_pos is not None
        frame.branches.append((frame.condition, tuple(frame.nodes), frame.condition_pos))
        frame.nodes = []

    def else_tag(self, top: _Frame, token: Token) -> None:
        if top.kind == "for" and top.body is None:
            top.body, top.nodes = top.nodes, []
        elif top.kind == "if" and not top.has_else:
            self.close_branch(top)
            top.has_else = True
        else:
            where = "a second {else}" if top.has_else or top.body is not None else "{else}"
            raise self.fail(f"{where} outside {{for}} or {{if}}", token.line, token.col)

    def end_tag(self, token: Token) -> None:
        if len(self.stack) == 1:
            raise self.fail("{end} without an open {for}, {if} or {block}", token.line, token.col)
        frame = self.stack.pop()
        node: Node
        if frame.kind == "for":
            assert frame.target is not None and frame.iterable is not None
            if frame.body is None:
                node = For(frame.target, frame.iterable, tuple(frame.nodes), None, frame.pos)
            else:
                node = For(
                    frame.target, frame.iterable, tuple(frame.body), tuple(frame.nodes), frame.pos
                )
        elif frame.kind == "if":
            orelse: tuple[Node, ...] | None = None
            if frame.has_else:
                orelse = tuple(frame.nodes)
            else:
                self.close_branch(frame)
            node = If(tuple(frame.branches), orelse, frame.pos)
        else:
            node = Block(frame.name, tuple(frame.nodes), frame.pos)
            self.blocks[frame.name] = node
        self.stack[-1].nodes.append(node)


def parse(text: str, name: str = "<string>") -> ParsedTemplate:
    """Parse one template's text; raise [`TemplateSyntaxError`][kali.templating.TemplateSyntaxError]
    on the first mistake."""
    return _Parser(text, name).parse()
