"""The code blocks of the documentation, extracted, type-checked and run.

Used by `tests/test_docs.py`, for every page under `docs/` and for `README.md`. The rules a
page's blocks follow:

- A page's ` ```python ` blocks are one program. They run in order, in one namespace: a module
  named after the page (`docs/templating/loading.md` is `docs_templating_loading`), so a block
  may use what an earlier block of the same page defined. `__name__` is that module's name, not
  `"__main__"`, so `app.run()` under `if __name__ == "__main__":` is not called.
- The blocks are type-checked together with `mypy --strict`, as that module. The module keeps
  each code line at its line number in the page, so mypy's line numbers are the page's.
- The page's module lives in a folder of its own (`__file__`), which holds an empty `static/`
  and an empty `templates/`, and the files the page shows: a block titled as a file,
  ` ```html title="templates/item.html" `, is written to that path before the blocks run. So
  `Path(__file__).parent / "templates"` finds them. The working directory is another, empty
  folder: a path relative to it (`TemplateFolder("templates")`) finds nothing, as it would
  for a user who starts the program from elsewhere.
- A ` ```python title="myapp.py" ` block is such a file too: a module that the page's blocks
  can import, type-checked with them, and imported after them (file names are unique across
  the docs, since one mypy run sees them all). The tests of a `test_*.py` file are run.
- After the blocks, each `test_*` function they defined is called (a `tmp_path` parameter gets
  a fresh folder), so a page's example tests are tested.
- Starting a server is refused: a block that constructs a `kali.Server` (`serve_http`,
  `app.run()`) fails with a message, and nothing is bound.
- A block made only of snippet includes (`--8<-- "examples/tutorial/step1/books.py"`) shows
  a file checked elsewhere (by mypy over `examples/` and its own tests): the file must exist.
- An HTML comment on the line before a block (blank lines between are allowed) changes what is
  done with it; the reason in parentheses is required:

      <!-- check: no-run (why) -->     type-checked, not run
      <!-- check: fragment (why) -->   only parsed: elided code, generated code
      <!-- check: skip (why) -->       neither: a signature, not Python
      <!-- check: raises ValueError --> run, and it must raise that exception (by class name,
                                        a base class counts)
      <!-- check: excerpt (examples/tutorial/step6/books.py) -->
                                        not run: the block must be a part of that file, line for
                                        line (its indentation may be removed); for any language
"""

from __future__ import annotations

import ast
import contextlib
import enum
import importlib
import inspect
import re
import sys
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_TITLE = re.compile(r'\btitle="(?P<title>[^"]+)"')
_MARKER = re.compile(r"^\s*<!--\s*check:\s*(?P<body>.*?)\s*-->\s*$")
_MARKER_BODY = re.compile(
    r"^(?P<kind>[a-z-]+)(?:\s+(?P<arg>[A-Za-z_][\w.]*))?(?:\s*\((?P<reason>[^)]*)\))?$"
)
_SNIPPET = re.compile(r'^-{1,}8<-{1,}\s+"(?P<path>[^"]+)"\s*$')
_PYTHON = frozenset({"python", "py", "python3"})


class Kind(enum.Enum):
    """What is done with a block."""

    RUN = "run"
    NO_RUN = "no-run"
    FRAGMENT = "fragment"
    SKIP = "skip"
    RAISES = "raises"
    INCLUDED = "included"  # snippet includes only
    EXCERPT = "excerpt"  # lines of a file checked elsewhere
    FILE = "file"  # a block with title="path": written to the page's folder


@dataclass(frozen=True)
class Block:
    """One fenced block of a page."""

    line: int
    """The page's line number of the block's first code line."""
    lang: str
    code: str
    kind: Kind
    title: str | None = None
    raises: str | None = None


@dataclass
class Page:
    """A Markdown page and its blocks."""

    path: Path
    name: str
    """The path shown in messages: relative to the repository when it is inside it."""
    module: str
    blocks: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Mistakes in the page's markers and files, found while reading it."""

    @property
    def python(self) -> list[Block]:
        """The untitled Python blocks that are part of the page's module."""
        return [b for b in self.blocks if b.kind in (Kind.RUN, Kind.NO_RUN, Kind.RAISES)]

    @property
    def python_files(self) -> list[Block]:
        return [b for b in self.blocks if b.kind is Kind.FILE and b.lang in _PYTHON]

    def module_source(self) -> str:
        """The page's Python blocks, each code line at its line number in the page.

        Line 1 is never code (a fence comes first): it turns mypy's `empty-body` error off,
        since `...` as a function's body stands for code the reader writes.
        """
        lines: list[str] = ['# mypy: disable-error-code="empty-body"']
        for block in self.python:
            code = block.code.splitlines()
            lines.extend([""] * (block.line - 1 - len(lines)))
            lines.extend(code)
        return "\n".join(lines) + "\n"


def module_name(name: str) -> str:
    """`docs/templating/loading.md` -> `docs_templating_loading`."""
    stem = name[:-3] if name.endswith(".md") else name
    return re.sub(r"\W", "_", stem).lower()


def read_page(path: Path, root: Path = ROOT) -> Page:
    """Read the fenced blocks of the page at `path`, and the markers before them."""
    try:
        name = path.resolve().relative_to(root).as_posix()
    except ValueError:
        name = path.name
    page = Page(path, name, module_name(name))
    lines = path.read_text(encoding="utf-8").splitlines()
    marker: tuple[int, str] | None = None  # a marker waiting for its block
    number = 0
    while number < len(lines):
        text = lines[number]
        number += 1
        found = _MARKER.match(text)
        if found:
            if marker is not None:
                page.problems.append(f"{name}:{marker[0]}: a check marker not followed by a block")
            marker = (number, found["body"])
            continue
        fence = _FENCE.match(text)
        if not fence:
            if text.strip() and marker is not None:
                page.problems.append(
                    f"{name}:{marker[0]}: a check marker must be on the line before a block"
                )
                marker = None
            continue
        indent, mark = fence["indent"], fence["fence"]
        info = fence["info"].strip()
        start = number + 1
        body: list[str] = []
        while number < len(lines):
            inner = lines[number]
            number += 1
            stripped = inner.strip()
            if stripped.startswith(mark[0] * len(mark)) and stripped.strip(mark[0]) == "":
                break
            body.append(inner[len(indent) :] if inner.startswith(indent) else inner.lstrip())
        else:
            page.problems.append(f"{name}:{start - 1}: a block that is never closed")
        lang = info.split()[0].lstrip(".{").lower() if info else ""
        title_match = _TITLE.search(info)
        block = _classify(page, start, lang, "\n".join(body), title_match, marker)
        marker = None
        if block is not None:
            page.blocks.append(block)
    if marker is not None:
        page.problems.append(f"{name}:{marker[0]}: a check marker not followed by a block")
    return page


def _classify(
    page: Page,
    line: int,
    lang: str,
    code: str,
    title_match: re.Match[str] | None,
    marker: tuple[int, str] | None,
) -> Block | None:
    where = f"{page.name}:{line - 1}"
    kind, raises = Kind.RUN, None
    if marker is not None:
        body = _MARKER_BODY.match(marker[1])
        known = {
            k.value for k in (Kind.NO_RUN, Kind.FRAGMENT, Kind.SKIP, Kind.RAISES, Kind.EXCERPT)
        }
        if body is None or body["kind"] not in known:
            page.problems.append(
                f"{page.name}:{marker[0]}: unknown check marker {marker[1]!r}: use no-run (why), "
                "fragment (why), skip (why), raises ExceptionName or excerpt (path)"
            )
            return None
        kind = Kind(body["kind"])
        if kind is Kind.EXCERPT:
            source = (body["reason"] or "").strip()
            if not source or not (ROOT / source).is_file():
                page.problems.append(f"{where}: excerpt of a file that does not exist: {source!r}")
            elif not is_excerpt(code, (ROOT / source).read_text(encoding="utf-8")):
                page.problems.append(
                    f"{where}: this block is not an excerpt of {source}: make it the file's "
                    "lines as they are"
                )
            return Block(line, lang, code, kind)
        if kind is Kind.RAISES:
            if not body["arg"]:
                page.problems.append(f"{page.name}:{marker[0]}: raises needs an exception name")
            raises = body["arg"]
        elif body["arg"] or not (body["reason"] or "").strip():
            page.problems.append(
                f"{page.name}:{marker[0]}: say why in parentheses: <!-- check: {kind.value} "
                "(the reason) -->"
            )
    lines = [text for text in code.splitlines() if text.strip()]
    includes = [_SNIPPET.match(text) for text in lines]
    if lines and all(includes):
        if marker is not None:
            page.problems.append(f"{where}: an included file is checked where it lives: no marker")
        for included in includes:
            assert included is not None
            path, _, section = included["path"].partition(":")
            target = ROOT / path
            if not target.is_file():
                page.problems.append(f"{where}: the included file {path} does not exist")
            elif section and f"[start:{section}]" not in target.read_text(encoding="utf-8"):
                page.problems.append(f"{where}: {path} has no section {section!r}")
        title = title_match["title"] if title_match else None
        return Block(line, lang, code, Kind.INCLUDED, title)
    if any(includes):
        page.problems.append(f"{where}: a block mixes snippet includes and code")
    if title_match is not None:
        title = title_match["title"]
        if Path(title).is_absolute() or ".." in Path(title).parts:
            page.problems.append(f"{where}: a block's title must be a relative path: {title!r}")
            return None
        if kind in (Kind.SKIP, Kind.FRAGMENT):
            return Block(line, lang, code, kind, title)
        if kind is not Kind.RUN:
            page.problems.append(f"{where}: a file block ({title}) takes only skip or fragment")
        return Block(line, lang, code, Kind.FILE, title)
    if lang not in _PYTHON:
        if marker is not None:
            page.problems.append(f"{where}: check markers are for python blocks and files")
        return None
    if kind is Kind.SKIP:
        return Block(line, lang, code, kind)
    try:
        tree = ast.parse("\n" * (line - 1) + code, page.name)
    except SyntaxError as exc:
        page.problems.append(f"{page.name}:{exc.lineno}: SyntaxError: {exc.msg}")
        return None
    if any(isinstance(node, ast.ImportFrom) and node.module == "__future__" for node in tree.body):
        page.problems.append(f"{where}: a page's blocks are one module: no __future__ imports")
    return Block(line, lang, code, kind, raises=raises)


def is_excerpt(code: str, text: str) -> bool:
    """Whether the lines of `code` are consecutive lines of `text`, less some indentation."""
    lines = [line.rstrip() for line in code.strip("\n").splitlines()]
    whole = "\n" + "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    indents = {line[: len(line) - len(line.lstrip())] for line in text.splitlines()}
    for indent in indents:
        candidate = "\n".join(indent + line if line else "" for line in lines)
        if f"\n{candidate}\n" in whole:
            return True
    return False


# -- the page's folder ------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """Where a page's files were written, and how their lines map back to the page."""

    page: Page
    folder: Path
    module_file: Path
    offsets: dict[Path, int]
    """For each file written, the page line of the file's line 0: line n is page line n + offset."""


def write_page(page: Page, base: Path) -> Written:
    """Write the page's module and its files into `base / page.module`."""
    folder = base / page.module
    folder.mkdir(parents=True)
    folder = folder.resolve()  # the paths mypy and tracebacks name
    module_file = folder / f"{page.module}.py"
    module_file.write_text(page.module_source(), encoding="utf-8")
    offsets = {module_file: 0}
    (folder / "static").mkdir()
    (folder / "templates").mkdir()
    for block in page.blocks:
        if block.kind is Kind.FILE and block.title is not None:
            target = folder / block.title
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code + "\n", encoding="utf-8")
            offsets[target] = block.line - 1
    return Written(page, folder, module_file, offsets)


def duplicate_modules(pages: list[Page]) -> list[str]:
    """Python file blocks with the same name on two pages (one mypy run sees every page)."""
    seen: dict[str, str] = {}
    problems = []
    for page in pages:
        for block in page.python_files:
            assert block.title is not None
            where = f"{page.name}:{block.line - 1}"
            if block.title in seen:
                problems.append(
                    f"{where}: the file {block.title} is also on {seen[block.title]}: name it "
                    "differently (all pages are type-checked in one run)"
                )
            seen.setdefault(block.title, where)
    return problems


# -- type-checking ----------------------------------------------------------------------------

_MYPY_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<level>error|note): (?P<message>.*)$")


def type_check(written: list[Written], cache_dir: Path) -> dict[str, list[str]]:
    """Run `mypy --strict` once over every page; its errors by page name, in page lines.

    The options are those of the repository's configuration, and the page modules turn off
    `empty-body` for themselves (see `Page.module_source`), so `cache_dir` can be shared
    with other runs over kali.
    """
    from mypy import api

    files: dict[Path, Written] = {}
    for item in written:
        files[item.module_file.resolve()] = item
        for path in item.offsets:
            if path.suffix == ".py":
                files[path.resolve()] = item
    by_name = {path.name: path for path in files}
    stdout, stderr, _status = api.run(
        [
            "--strict",
            "--no-error-summary",
            "--show-absolute-path",
            "--hide-error-context",
            "--no-pretty",
            "--cache-dir",
            str(cache_dir),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            *sorted(str(path) for path in files),
        ]
    )
    if stderr.strip():
        raise RuntimeError(f"mypy failed to run: {stderr}")
    errors: dict[str, list[str]] = {item.page.name: [] for item in written}
    for text in stdout.splitlines():
        found = _MYPY_LINE.match(text)
        if found is None:
            continue
        path = Path(found["file"]).resolve()
        # mypy may name the file of an earlier run that it found unchanged in its cache; the
        # names of the files are unique, so they identify it as well.
        path = path if path in files else by_name.get(path.name, path)
        owner = files.get(path)
        if owner is None:  # an error outside the docs (in kali itself)
            errors.setdefault("<kali>", []).append(text)
            continue
        if found["level"] == "note":
            continue
        line = int(found["line"]) + owner.offsets.get(path, 0)
        errors[owner.page.name].append(f"{owner.page.name}:{line}: {found['message']}")
    return errors


# -- running ----------------------------------------------------------------------------------


class ServerStarted(Exception):
    """A docs block tried to start a server."""


def _refuse_server(*args: Any, **kwargs: Any) -> NoReturn:
    raise ServerStarted(
        "this block starts a server: put app.run() or serve_http() under "
        '`if __name__ == "__main__":`, or mark the block <!-- check: no-run (why) -->'
    )


@contextlib.contextmanager
def _page_environment(item: Written, workdir: Path) -> Iterator[types.ModuleType]:
    """The page's module in `sys.modules`, its folder on `sys.path`, another working directory,
    and no server."""
    import os

    import kali
    import kali.server

    module = types.ModuleType(item.page.module)
    module.__file__ = str(item.module_file)
    saved_modules = set(sys.modules)
    saved_path = list(sys.path)
    saved_cwd = os.getcwd()
    sys.modules[item.page.module] = module
    sys.path.insert(0, str(item.folder))
    importlib.invalidate_caches()
    os.chdir(workdir)
    try:
        with (
            mock.patch.object(kali.server.Server, "__init__", _refuse_server),
            mock.patch.object(kali.server, "serve_http", _refuse_server),
            mock.patch.object(kali, "serve_http", _refuse_server),
        ):
            yield module
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            del sys.modules[name]


def _where(item: Written, exc: BaseException, default: int) -> int:
    """The page line where `exc` was raised: the last frame in the page or one of its files."""
    targets = {str(item.page.path): 0}
    targets.update((str(path), offset) for path, offset in item.offsets.items())
    line = default
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in targets and frame.lineno is not None:
            line = frame.lineno + targets[frame.filename]
    return line


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__qualname__}: {text[0] if text else ''}".rstrip(": ")


def _raised(exc: BaseException, name: str) -> bool:
    return any(name in (cls.__name__, cls.__qualname__) for cls in type(exc).__mro__)


def run_page(item: Written, workdir: Path) -> list[str]:
    """Run the page's blocks in order in one namespace, then its tests; the failures."""
    page = item.page
    failures: list[str] = []
    with _page_environment(item, workdir) as module:
        for block in page.python:
            if block.kind is Kind.NO_RUN:
                continue
            source = "\n" * (block.line - 1) + block.code
            try:
                exec(compile(source, str(page.path), "exec"), module.__dict__)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                if block.raises is not None and _raised(exc, block.raises):
                    continue
                line = _where(item, exc, block.line)
                failures.append(f"{page.name}:{line}: {_describe(exc)}")
                return failures  # the blocks after it may depend on it
            if block.raises is not None:
                failures.append(f"{page.name}:{block.line}: expected {block.raises}, not raised")
        tests = [module]
        for block in page.python_files:
            assert block.title is not None
            if "/" in block.title:
                continue  # not importable as a top-level module
            stem = Path(block.title).stem
            try:
                imported = importlib.import_module(stem)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                failures.append(f"{page.name}:{_where(item, exc, block.line)}: {_describe(exc)}")
                return failures
            if stem.startswith("test_"):
                tests.append(imported)
        for namespace in tests:
            failures.extend(_run_tests(item, namespace, workdir))
    return failures


def _run_tests(item: Written, namespace: types.ModuleType, workdir: Path) -> list[str]:
    failures = []
    for name, function in list(vars(namespace).items()):
        if not (name.startswith("test_") and inspect.isfunction(function)):
            continue
        if function.__module__ != namespace.__name__:
            continue  # imported from elsewhere
        offsets = {str(path): offset for path, offset in item.offsets.items()}
        start = function.__code__.co_firstlineno + offsets.get(function.__code__.co_filename, 0)
        kwargs: dict[str, object] = {}
        for parameter in inspect.signature(function).parameters:
            if parameter != "tmp_path":
                failures.append(
                    f"{item.page.name}:{start}: {name} takes {parameter!r}; a docs test may take "
                    "only tmp_path"
                )
                break
            folder = workdir / f"{name}-tmp"
            folder.mkdir()
            kwargs["tmp_path"] = folder
        else:
            try:
                function(**kwargs)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                failures.append(f"{item.page.name}:{_where(item, exc, start)}: {_describe(exc)}")
    return failures
