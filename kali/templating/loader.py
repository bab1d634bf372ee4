"""TemplateFolder: templates loaded by name from a directory, compiled once and cached.

>>> pages = TemplateFolder(Path(__file__).parent / "templates")  # doctest: +SKIP
>>> pages("page")(title="Home", items=[])                        # doctest: +SKIP

`pages("page")` loads `templates/page.html` (the extension is configurable), compiles it with
its layout and partials, and caches the compiled template. With `auto_reload=True` (for
development) every lookup checks the modification time and size of the file and of each layout
and partial it uses, and recompiles when one changed. Names are relative, `/`-separated paths
inside the folder: absolute paths, `..`, backslashes and empty segments are refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError
from .composer import Source
from .errors import TemplateNotFound
from .formatters import Formatter, Formatters
from .template import Template

__all__ = ["TemplateFolder"]


@dataclass(slots=True)
class _Entry:
    template: Template
    sources: tuple[Source, ...]
    formatters_version: int


class TemplateFolder:
    """Load templates by name from `path`.

    Args:
        path: the directory holding the templates.
        extension: appended to names that do not already end with it (`".html"`).
        auto_reload: recompile a template when its file, its layout or a partial changed on
            disk (checked on every lookup; meant for development).
        strict: passed to every [`Template`][kali.templating.Template] (undefined names are
            errors when true).
        formatters: the formatter registry of this folder. Register more with
            `folder.formatters.add(name, function)` or the `@folder.formatter(name)`
            decorator; compiled templates are dropped from the cache when it changes.
        encoding: the encoding of the template files.

    Raises:
        ValueError: ``path`` is not a directory (the message names the absolute path tried).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        extension: str = ".html",
        auto_reload: bool = False,
        strict: bool = True,
        formatters: Mapping[str, Formatter] | None = None,
        encoding: str = "utf-8",
    ) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise ConfigurationError(_not_a_folder(self.path))
        self.extension = extension
        self.auto_reload = auto_reload
        self.strict = strict
        self.encoding = encoding
        self.formatters = (
            formatters if isinstance(formatters, Formatters) else Formatters(formatters)
        )
        self._cache: dict[str, _Entry] = {}

    def __call__(self, name: str) -> Template:
        """The compiled template called `name` (`"page"` loads `page.html`).

        Raises:
            TemplateNotFound: no such file, or `name` is not a safe relative name.
            TemplateSyntaxError: the template, its layout or a partial is invalid.
        """
        entry = self._cache.get(name)
        if (
            entry is not None
            and entry.formatters_version == self.formatters.version
            and not (self.auto_reload and self._changed(entry.sources))
        ):
            return entry.template
        source = self.get_source(name)
        template = Template(
            source.text,
            name=source.name,
            loader=self,
            formatters=self.formatters,
            strict=self.strict,
        )
        sources = (source, *template.dependencies)
        self._cache[name] = _Entry(template, sources, self.formatters.version)
        return template

    def from_string(self, text: str, name: str = "<string>") -> Template:
        """Compile an inline template that can extend and include this folder's templates."""
        return Template(
            text, name=name, loader=self, formatters=self.formatters, strict=self.strict
        )

    def formatter(self, name: str) -> Callable[[Formatter], Formatter]:
        """Decorator registering a formatter for this folder's templates."""
        return self.formatters.register(name)

    def clear(self) -> None:
        """Forget every compiled template (the next lookups recompile)."""
        self._cache.clear()

    def file_for(self, name: str) -> Path:
        """The file a template name maps to; raise
        [`TemplateNotFound`][kali.templating.TemplateNotFound] if it is unsafe."""
        if not name or "\0" in name or "\\" in name:
            raise TemplateNotFound(name, "not a safe template name")
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            raise TemplateNotFound(name, "absolute paths are not allowed")
        parts = name.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise TemplateNotFound(name, "'..', '.' and empty path segments are not allowed")
        if self.extension and not parts[-1].endswith(self.extension):
            parts[-1] += self.extension
        return self.path.joinpath(*parts)

    def get_source(self, name: str) -> Source:
        """Read a template's file (the [`Loader`][kali.templating.Loader] protocol)."""
        path = self.file_for(name)
        try:
            stat = path.stat()
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise TemplateNotFound(name, f"no file {path}") from None
        if not path.is_file():
            raise TemplateNotFound(name, f"{path} is not a file")
        relative = path.relative_to(self.path).as_posix()
        return Source(relative, data.decode(self.encoding), path, (stat.st_mtime_ns, stat.st_size))

    @staticmethod
    def _changed(sources: tuple[Source, ...]) -> bool:
        for source in sources:
            if source.path is None:
                continue
            try:
                stat = source.path.stat()
            except OSError:
                return True
            if (stat.st_mtime_ns, stat.st_size) != source.stamp:
                return True
        return False

    def __repr__(self) -> str:
        return f"TemplateFolder({str(self.path)!r}, extension={self.extension!r})"


def _not_a_folder(path: Path) -> str:
    tried = os.path.abspath(path)
    what = "is not a directory" if path.exists() else "does not exist"
    message = f"TemplateFolder: the folder {tried} {what}"
    if not path.is_absolute():
        message += (
            f" ({str(path)!r} is relative to the working directory {os.getcwd()}); for templates "
            f"next to your module, write TemplateFolder(Path(__file__).parent / {str(path)!r})"
        )
    return message
