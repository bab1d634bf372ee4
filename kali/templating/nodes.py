"""The template syntax tree: what the parser produces and the compiler consumes.

Expressions are kept as validated `ast` nodes; everything else is a small frozen dataclass
carrying the `Pos` (template name, line, column) of the tag it came from, so every later
error can point at the template.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = [
    "Block",
    "For",
    "Group",
    "If",
    "Include",
    "Node",
    "Output",
    "ParsedTemplate",
    "Pos",
    "Text",
]


@dataclass(frozen=True, slots=True)
class Pos:
    """Where a node comes from: template name, 1-based line and column."""

    template: str
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text (braces already unescaped)."""

    text: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Output:
    """`{expr}`, `{.expr}` (`raw`) or `{expr:fmt}`; `fmt` is the text after `:`."""

    expr: ast.expr
    raw: bool
    fmt: str | None
    pos: Pos
    fmt_col: int = 0


@dataclass(frozen=True, slots=True)
class For:
    """`{for target in iterable}body{else}empty{end}`."""

    target: ast.expr
    iterable: ast.expr
    body: tuple[Node, ...]
    empty: tuple[Node, ...] | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class If:
    """`{if c}…{elif c}…{else}…{end}`: `branches` are (condition, body, tag position)."""

    branches: tuple[tuple[ast.expr, tuple[Node, ...], Pos], ...]
    orelse: tuple[Node, ...] | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Block:
    """`{block name}default{end}`: a part a child template may override."""

    name: str
    body: tuple[Node, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Include:
    """`{include "name"}`: another template's output, inlined where the tag stands."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Group:
    """A resolved block or include: a sequence of nodes (the compiler treats it as transparent)."""

    body: tuple[Node, ...]
    pos: Pos


Node = Text | Output | For | If | Block | Include | Group


@dataclass(frozen=True, slots=True)
class ParsedTemplate:
    """One template file, parsed but not yet combined with its layout and includes."""

    name: str
    text: str
    nodes: tuple[Node, ...]
    extends: str | None = None
    extends_pos: Pos | None = None
    blocks: dict[str, Block] = field(default_factory=dict)
    """Every `{block}` in the template, nested ones included, by name."""
