"""Composition: resolve `{extends}`, `{block}` and `{include}` into one tree of nodes.

Layouts and includes are resolved when a template is compiled, not when it renders: the layout's
nodes, with each `{block}` replaced by the most derived template's version, and every included
template's nodes are inlined into a single tree that the compiler turns into one function. An
included template therefore sees every name visible where it is included (the context and the
loop variables), and costs nothing at render time. Each node keeps the position in the template
it came from, so errors in a layout or a partial name the layout or the partial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import TemplateNotFound, TemplateSyntaxError
from .nodes import Block, For, Group, If, Include, Node, ParsedTemplate, Pos
from .parser import parse

__all__ = ["Composition", "Loader", "MappingLoader", "Source", "compose"]


@dataclass(frozen=True, slots=True)
class Source:
    """A template's text as a loader found it.

    `path` and `stamp` (for files: modification time in ns and size) let a folder notice
    that the file changed; both are `None` for templates that do not come from files.
    """

    name: str
    text: str
    path: Path | None = None
    stamp: tuple[int, int] | None = None


class Loader(Protocol):
    """Anything that finds a template's source by name
    ([`TemplateFolder`][kali.templating.TemplateFolder] is one)."""

    def get_source(self, name: str) -> Source:
        """Return the named template's source, or raise
        [`TemplateNotFound`][kali.templating.TemplateNotFound]."""
        ...


class MappingLoader:
    """A loader over a mapping of names to template texts (handy for tests and inline use)."""

    def __init__(self, templates: Mapping[str, str]) -> None:
        self.templates = templates

    def get_source(self, name: str) -> Source:
        try:
            return Source(name, self.templates[name])
        except KeyError:
            raise TemplateNotFound(name) from None


def _error(message: str, pos: Pos, texts: Mapping[str, str]) -> TemplateSyntaxError:
    lines = texts.get(pos.template, "").split("\n")
    source = lines[pos.line - 1] if 0 < pos.line <= len(lines) else ""
    return TemplateSyntaxError(message, pos.template, pos.line, pos.col, source)


@dataclass
class Composition:
    """The result of `compose`: the inlined tree and what it was made from."""

    nodes: tuple[Node, ...]
    texts: dict[str, str]
    """The text of every template involved, by name (for error messages)."""
    dependencies: list[Source]
    """The sources loaded through the loader (layouts and partials), in load order."""


class _Composer:
    def __init__(self, root: ParsedTemplate, loader: Loader | None) -> None:
        self.loader = loader
        self.parsed: dict[str, ParsedTemplate] = {root.name: root}
        self.texts: dict[str, str] = {root.name: root.text}
        self.dependencies: list[Source] = []

    def load(self, name: str, pos: Pos, what: str) -> ParsedTemplate:
        if name in self.parsed:
            return self.parsed[name]
        if self.loader is None:
            raise _error(
                f"cannot {what} {name!r}: this template has no loader "
                "(load it from a TemplateFolder, or pass loader=... to Template)",
                pos,
                self.texts,
            )
        try:
            source = self.loader.get_source(name)
        except TemplateNotFound as exc:
            raise _error(f"cannot {what} {name!r}: {exc}", pos, self.texts) from None
        self.dependencies.append(source)
        self.texts[source.name] = source.text
        parsed = self.parsed.get(source.name) or parse(source.text, source.name)
        self.parsed[name] = self.parsed[source.name] = parsed
        return parsed

    def template(self, parsed: ParsedTemplate, active: tuple[str, ...]) -> tuple[Node, ...]:
        """The nodes of `parsed` with its layout chain and includes resolved."""
        chain = [parsed]
        seen = [parsed.name]
        while chain[-1].extends is not None:
            child = chain[-1]
            assert child.extends is not None and child.extends_pos is not None
            parent = self.load(child.extends, child.extends_pos, "extend")
            if parent.name in seen or parent.name in active:
                cycle = " -> ".join([*seen, parent.name])
                raise _error(f"{{extends}} cycle: {cycle}", child.extends_pos, self.texts)
            chain.append(parent)
            seen.append(parent.name)
        overrides: dict[str, Block] = {}
        for index, template in enumerate(chain):
            if index + 1 < len(chain):
                known = {n for t in chain[index + 1 :] for n in t.blocks}
                for node in template.nodes:
                    if isinstance(node, Block) and node.name not in known:
                        base = chain[-1].name
                        raise _error(
                            f"block {node.name!r} is not defined in the layout {base!r} "
                            f"(its blocks: {', '.join(sorted(known)) or 'none'})",
                            node.pos,
                            self.texts,
                        )
            for name, block in template.blocks.items():
                overrides.setdefault(name, block)
        return self.expand(chain[-1].nodes, overrides, (*active, *seen))

    def expand(
        self, nodes: Iterable[Node], overrides: Mapping[str, Block], active: tuple[str, ...]
    ) -> tuple[Node, ...]:
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, Block):
                chosen = overrides.get(node.name, node)
                out.append(Group(self.expand(chosen.body, overrides, active), chosen.pos))
            elif isinstance(node, Include):
                included = self.load(node.name, node.pos, "include")
                if included.name in active:
                    cycle = " -> ".join([*active, included.name])
                    raise _error(f"{{include}} cycle: {cycle}", node.pos, self.texts)
                out.append(Group(self.template(included, active), node.pos))
            elif isinstance(node, For):
                empty = None if node.empty is None else self.expand(node.empty, overrides, active)
                body = self.expand(node.body, overrides, active)
                out.append(For(node.target, node.iterable, body, empty, node.pos))
            elif isinstance(node, If):
                branches = tuple(
                    (cond, self.expand(body, overrides, active), pos)
                    for cond, body, pos in node.branches
                )
                orelse = (
                    None if node.orelse is None else self.expand(node.orelse, overrides, active)
                )
                out.append(If(branches, orelse, node.pos))
            else:
                out.append(node)
        return tuple(out)


def compose(root: ParsedTemplate, loader: Loader | None) -> Composition:
    """Inline `root`'s layout chain and includes, loading them through `loader`.

    Raises [`TemplateSyntaxError`][kali.templating.TemplateSyntaxError] (at the
    `{extends}`/`{include}` tag) for a missing
    template, a cycle, or a block the layout does not define.
    """
    composer = _Composer(root, loader)
    nodes = composer.template(root, ())
    return Composition(nodes, composer.texts, composer.dependencies)
