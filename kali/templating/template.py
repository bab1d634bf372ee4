"""Template: compile once, call with keyword arguments, get an iolist back.

>>> hello = Template("<p>Hello, {name}!</p>")
>>> hello(name="<world>")
['<p>Hello, &lt;world&gt;!</p>']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import TracebackType
from typing import Protocol

from ..typing import IoList
from .compiler import CompiledCode, compile_nodes
from .composer import Loader, MappingLoader, Source, compose
from .errors import TemplateRenderError, UndefinedError
from .formatters import Formatter, Formatters
from .markup import iolist_to_str
from .parser import parse

__all__ = ["Assembly", "Renderable", "Template"]

_DEFAULT_FORMATTERS = Formatters()
_QUOTED = re.compile(r"'(\w+)'")


class Renderable(Protocol):
    """Anything that acts like a template: keyword arguments in, iolist out."""

    def __call__(self, **context: object) -> IoList: ...


class Template:
    """A template compiled into one Python function.

    Args:
        text: the template source.
        name: the name used in error messages (and in the generated code's filename).
        loader: where `{extends "x"}` and `{include "x"}` find other templates: a
            [`TemplateFolder`][kali.templating.TemplateFolder], any object with `get_source(name)`,
            or a mapping of names
            to template texts. `None` (the default) makes those tags a compile error.
        formatters: the registry that `{value:name}` looks names up in: `num`, `cents`,
            `upper` and `lower`, and the formatters of a mapping given (a
            [`Formatters`][kali.templating.Formatters] is used as it is).
        strict: when true (the default) rendering a name that was not passed raises
            [`UndefinedError`][kali.templating.UndefinedError]; when false such a name renders as
            empty, is false in
            `{if}` and iterates as empty in `{for}`.

    Raises:
        TemplateSyntaxError: the template (or a layout or partial it uses) is invalid.
    """

    __slots__ = ("_code", "_function", "_loader", "formatters", "name", "strict", "text")

    def __init__(
        self,
        text: str,
        *,
        name: str = "<string>",
        loader: Loader | Mapping[str, str] | None = None,
        formatters: Mapping[str, Formatter] | None = None,
        strict: bool = True,
    ) -> None:
        self.text = text
        self.name = name
        self.strict = strict
        # A plain mapping adds to the built-in formatters, as for a TemplateFolder.
        if formatters is None:
            formatters = _DEFAULT_FORMATTERS
        elif not isinstance(formatters, Formatters):
            formatters = Formatters(formatters)
        self.formatters: Mapping[str, Formatter] = formatters
        if loader is not None and not hasattr(loader, "get_source"):
            loader = MappingLoader(loader)
        self._loader: Loader | None = loader
        composition = compose(parse(text, name), self._loader)
        self._code: CompiledCode = compile_nodes(composition, name, self.formatters, strict)
        self._function = self._code.function

    @property
    def source(self) -> str:
        """The generated Python source (deterministic: the same template gives the same text)."""
        return self._code.source

    @property
    def dependencies(self) -> tuple[Source, ...]:
        """The layouts and partials this template was compiled with, as their loader gave them."""
        return tuple(self._code.dependencies)

    def __call__(self, **context: object) -> IoList:
        """Render with `context` as the template's names; return the iolist.

        Raises:
            UndefinedError: a name the template uses was not passed (strict mode).
            TemplateRenderError: any other exception raised while rendering, chained as
                `__cause__`, with the template and line of the failing tag.
        """
        try:
            return self._function(context)  # type: ignore[return-value]
        except TemplateRenderError:
            raise
        except Exception as exc:
            raise _render_error(self._code, exc) from exc

    def render(self, context: Mapping[str, object]) -> IoList:
        """Like calling the template, with the names in a mapping."""
        return self(**context)

    def render_str(self, **context: object) -> str:
        """Render and join into one string (for tests and debugging; responses take iolists)."""
        return iolist_to_str(self(**context))

    def assembly(self, **parts: Renderable | str) -> Assembly:
        """Bind some of this template's names to sub-templates (programmatic layouts).

        Each part is rendered with the caller's keyword arguments and its output is passed to
        this template under the part's name. Strings become templates (with this template's
        loader, formatters and strictness). The result acts like a template and can be
        assembled further:

            page = Template("<title>{title}</title><body>{.body}</body>")
            user_page = page.assembly(
                title="Hello, {user}",
                body="<h1>Hello, {user}</h1>{.body}",
            )
            user_page(user="Ann", body=Markup("<p>…</p>"))
        """
        return Assembly(self, parts, self._make)

    def _make(self, text: str, part: str) -> Template:
        return Template(
            text,
            name=f"{self.name}#{part}",
            loader=self._loader,
            formatters=self.formatters,
            strict=self.strict,
        )

    def __repr__(self) -> str:
        return f"<Template {self.name!r}>"


class Assembly:
    """A template with some names bound to sub-templates; see
    [`Template.assembly`][kali.templating.Template.assembly]."""

    def __init__(
        self,
        base: Renderable,
        parts: Mapping[str, Renderable | str],
        make: _Maker,
    ) -> None:
        self.base = base
        self._make = make
        self.parts: dict[str, Renderable] = {
            key: make(part, key) if isinstance(part, str) else part for key, part in parts.items()
        }

    def __call__(self, **context: object) -> IoList:
        values = dict(context)
        for key, part in self.parts.items():
            values[key] = part(**context)
        return self.base(**values)

    def assembly(self, **parts: Renderable | str) -> Assembly:
        """Bind more names, exactly like
        [`Template.assembly`][kali.templating.Template.assembly]."""
        return Assembly(self, parts, self._make)


class _Maker(Protocol):
    def __call__(self, text: str, part: str, /) -> Template: ...


def _render_error(code: CompiledCode, exc: Exception) -> TemplateRenderError:
    """Turn an exception raised inside compiled code into an error naming the template line."""
    tb: TracebackType | None = exc.__traceback__
    ours: TracebackType | None = None
    deepest: TracebackType | None = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == code.filename:
            ours = tb
        deepest = tb
        tb = tb.tb_next
    pos = code.position(ours.tb_lineno) if ours is not None else None
    name, line = (pos.template, pos.line) if pos is not None else (code.name, 0)
    lines = code.texts.get(name, "").split("\n")
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if isinstance(exc, NameError) and ours is not None and deepest is ours:
        match = _QUOTED.search(str(exc))
        if match:
            return UndefinedError(match.group(1), name, line, source)
    return TemplateRenderError(f"{type(exc).__name__}: {exc}", name, line, source)
