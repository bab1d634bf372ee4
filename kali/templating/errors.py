"""The errors a template can raise, all pointing at the template rather than at Python.

* [`TemplateSyntaxError`][kali.templating.TemplateSyntaxError] is raised while compiling: it names
  the template, the line and the
  column, and shows the offending line with a caret under the column.
* [`TemplateRenderError`][kali.templating.TemplateRenderError] is raised while rendering: it names
  the template and the line whose
  tag failed, and chains the original exception (`raise ... from exc`).
* [`UndefinedError`][kali.templating.UndefinedError] is the render error for a name that was not
  passed to the template.
* [`TemplateNotFound`][kali.templating.TemplateNotFound] is raised when a loader has no template of
  that name.
* `UnsafeAttributeError` is raised by the generated code when an expression reads an
  attribute of the interpreter's machinery (a generator's `gi_frame`, a frame's
  `f_globals`...); the template wraps it in a
  [`TemplateRenderError`][kali.templating.TemplateRenderError] naming the line.
"""

from __future__ import annotations

from ..errors import ConfigurationError

__all__ = [
    "TemplateError",
    "TemplateNotFound",
    "TemplateRenderError",
    "TemplateSyntaxError",
    "UndefinedError",
    "UnsafeAttributeError",
]


class TemplateError(Exception):
    """Base class of every error raised by `kali.templating`."""


def _excerpt(source_line: str, column: int | None) -> str:
    text = source_line.rstrip("\r\n")
    if not text:
        return ""
    out = "\n    " + text.expandtabs(1)
    if column is not None and column > 0:
        out += "\n    " + " " * (column - 1) + "^"
    return out


class TemplateSyntaxError(TemplateError, ConfigurationError):
    """A template could not be compiled.

    Attributes:
        message: what is wrong, without the location.
        name: the template's name (`"page.html"`, or `"<string>"` for inline templates).
        line: 1-based line number of the mistake.
        column: 1-based column of the mistake.
        source_line: the text of that line.
    """

    def __init__(
        self, message: str, name: str, line: int, column: int, source_line: str = ""
    ) -> None:
        self.message = message
        self.name = name
        self.line = line
        self.column = column
        self.source_line = source_line
        super().__init__(
            f"{name}, line {line}, column {column}: {message}{_excerpt(source_line, column)}"
        )


class TemplateNotFound(TemplateError, LookupError):
    """A loader has no template of that name (or the name is not a safe relative name)."""

    def __init__(self, name: str, reason: str = "") -> None:
        self.name = name
        super().__init__(f"template {name!r} not found" + (f": {reason}" if reason else ""))


class TemplateRenderError(TemplateError):
    """Rendering a template failed; the original exception is chained as `__cause__`.

    Attributes:
        message: what went wrong (for instance `AttributeError: 'User' object has no
            attribute 'nmae'`).
        name: the name of the template whose tag failed (an included partial or a layout
            names itself, not the page that pulled it in).
        line: 1-based line of that tag, or 0 when it cannot be known.
        source_line: the text of that line.
    """

    def __init__(self, message: str, name: str, line: int, source_line: str = "") -> None:
        self.message = message
        self.name = name
        self.line = line
        self.source_line = source_line
        where = f"{name}, line {line}" if line else name
        super().__init__(f"{where}: {message}{_excerpt(source_line, None)}")


class UndefinedError(TemplateRenderError):
    """A template used a name that the caller did not pass (strict mode, the default).

    Attributes:
        variable: the undefined name.
    """

    def __init__(self, variable: str, name: str, line: int, source_line: str = "") -> None:
        self.variable = variable
        super().__init__(
            f"undefined name {variable!r} (pass {variable}=... when rendering, "
            "or load the template with strict=False to render undefined names as empty)",
            name,
            line,
            source_line,
        )


class UnsafeAttributeError(TemplateError):
    """An expression read an attribute that templates may not reach.

    Raised while rendering, for any attribute of a frame, code object, traceback, generator,
    coroutine, async generator or cell, and for a class's `mro`
    (see `kali.templating.runtime.checked_attribute`). A `Template` chains it as the
    `__cause__` of a `TemplateRenderError` naming the template line.
    """
