"""Every code block of the documentation runs and passes `mypy --strict` (issue 8, point 5).

The ` ```python ` blocks of `docs/**/*.md` and `README.md` are extracted; each page's blocks run
in order in one namespace and are type-checked together, in one mypy run for all pages. How
blocks combine, what they may assume and how a block is exempted (rarely, with a reason) is
in the docstring of `tests/docs_blocks.py`.

The checker is tested on sample pages of its own, each with a mistake it must report.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from .docs_blocks import (
    ROOT,
    Kind,
    Page,
    Written,
    duplicate_modules,
    read_page,
    run_page,
    type_check,
    write_page,
)

pytest.importorskip("mypy.api")

PAGES = [*sorted((ROOT / "docs").glob("**/*.md")), ROOT / "README.md"]
NAMES = [path.relative_to(ROOT).as_posix() for path in PAGES]

F = "```"  # a fence, so that the samples below are not blocks of this file's own docs

SAMPLES = {
    # Blocks share one namespace, files are written next to the module, tests run.
    "sample_good.md": f"""
# A good page

{F}python
from pathlib import Path

import kali

app = kali.App()
pages = kali.TemplateFolder(Path(__file__).parent / "templates")


@app.get("/")
def index(request: kali.Request) -> kali.IoList:
    return pages("hello")(name="Ada")


@app.get("/later")
def later(request: kali.Request) -> str: ...  # `...` stands for code the reader writes


if __name__ == "__main__":
    app.run()
{F}

{F}html title="templates/hello.html"
<p>Hello, {{name}}!</p>
{F}

<!-- check: raises ZeroDivisionError -->
{F}python
1 / 0
{F}

{F}python
from kali.testing import TestClient


def test_index() -> None:
    assert TestClient(app).get("/").text == "<p>Hello, Ada!</p>\\n"
{F}

<!-- check: no-run (it would serve forever) -->
{F}python
kali.Server(app, port=0).serve_forever()
{F}

<!-- check: fragment (elided) -->
{F}python
rows = [...]
undefined_name(rows)
{F}

<!-- check: skip (a signature, not code) -->
{F}python
kali.Response(body, status=200, *, content_type=None)
{F}
""",
    # The faults of issue 8: a formatter that mypy rejects, an untyped handler.
    "sample_types.md": f"""
{F}python
from kali.templating import Template


def date(value: object) -> str:
    return value.strftime("%d %b %Y")  # error: strftime


def items(request):  # error: untyped
    return Template("<p>{{n}}</p>")(n=1)
{F}
""",
    # A block that fails stops the page; the failure names the page's line.
    "sample_runtime.md": f"""
{F}python
first = 1
{F}

{F}python
second = first + missing  # error: NameError
{F}

{F}python
raise AssertionError("never run: the block before failed")
{F}
""",
    "sample_raises.md": f"""
<!-- check: raises ValueError -->
{F}python
int("12")  # error: nothing raised
{F}
""",
    "sample_server.md": f"""
{F}python
import kali

app = kali.App()
app.run()  # error: a server
{F}
""",
    # Paths relative to the working directory fail, though the file exists next to the page.
    "sample_paths.md": f"""
{F}html title="templates/item.html"
<li>{{name}}</li>
{F}

{F}python
import kali

pages = kali.TemplateFolder("templates")  # error: not found
{F}
""",
    "sample_tests.md": f"""
{F}python
def test_fails() -> None:
    assert 1 + 1 == 3  # error: AssertionError
{F}

{F}python title="test_sample_file.py"
def test_in_a_file() -> None:
    assert "a" == "b"  # error: in a file
{F}
""",
    "sample_markers.md": f"""
<!-- check: skip -->
{F}python
reason_missing = True
{F}

<!-- check: maybe (what?) -->
{F}python
unknown_kind = True
{F}

<!-- check: no-run (a marker with no block after it) -->
Some text.

{F}python
--8<-- "examples/no_such_file.py"
{F}

<!-- check: excerpt (tests/docs_blocks.py) -->
{F}python
def is_excerpt(code: str, text: str) -> bool:
{F}

<!-- check: excerpt (tests/docs_blocks.py) -->
{F}python
indents = {{line[: len(line) - len(line.lstrip())] for line in text.splitlines()}}
for indent in indents:
{F}

<!-- check: excerpt (tests/docs_blocks.py) -->
{F}python
def is_excerpt(code: str) -> bool:
{F}
""",
}


@dataclass(frozen=True)
class Checked:
    pages: dict[str, Page]
    written: dict[str, Written]
    errors: dict[str, list[str]]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> Checked:
    base = tmp_path_factory.mktemp("docs-blocks")
    samples = base / "samples"
    samples.mkdir()
    paths = list(PAGES)
    for name, text in SAMPLES.items():
        (samples / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        paths.append(samples / name)
    pages = [read_page(path) for path in paths]
    written = [write_page(page, base / "pages") for page in pages]
    errors = type_check(written, mypy_cache)
    return Checked({page.name: page for page in pages}, {w.page.name: w for w in written}, errors)


def run(checked: Checked, name: str, tmp_path: Path) -> list[str]:
    return run_page(checked.written[name], tmp_path)


def line_of(name: str, text: str) -> int:
    """The line of the sample `name` that contains `text`."""
    lines = textwrap.dedent(SAMPLES[name]).lstrip().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


# -- the documentation --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_blocks_are_well_formed(name: str, checked: Checked) -> None:
    assert checked.pages[name].problems == []


def test_file_blocks_have_unique_names(checked: Checked) -> None:
    assert duplicate_modules([checked.pages[name] for name in NAMES]) == []


@pytest.mark.parametrize("name", NAMES)
def test_blocks_pass_mypy_strict(name: str, checked: Checked) -> None:
    assert checked.errors[name] == []


def test_mypy_found_nothing_outside_the_docs(checked: Checked) -> None:
    assert checked.errors.get("<kali>") is None


@pytest.mark.parametrize("name", NAMES)
def test_blocks_run(name: str, checked: Checked, tmp_path: Path) -> None:
    assert run(checked, name, tmp_path) == []


def test_every_python_block_is_seen() -> None:
    # A fence the reader sees as Python is checked, whatever its spelling.
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        page = read_page(path)
        python = sum(1 for b in page.blocks if b.lang in ("python", "py", "python3"))
        opening = sum(
            1
            for line in text.splitlines()
            if line.strip().startswith("```py") or line.strip().startswith("~~~py")
        )
        assert python == opening, path


# -- the checker, on pages made to fail ---------------------------------------------------------


def test_a_good_page_passes(checked: Checked, tmp_path: Path) -> None:
    page = checked.pages["sample_good.md"]
    assert page.problems == []
    assert [b.kind for b in page.blocks] == [
        Kind.RUN,
        Kind.FILE,
        Kind.RAISES,
        Kind.RUN,
        Kind.NO_RUN,
        Kind.FRAGMENT,
        Kind.SKIP,
    ]
    assert checked.errors["sample_good.md"] == []
    assert run(checked, "sample_good.md", tmp_path) == []


def test_type_errors_are_reported_at_the_page_line(checked: Checked) -> None:
    errors = checked.errors["sample_types.md"]
    strftime = line_of("sample_types.md", "error: strftime")
    untyped = line_of("sample_types.md", "error: untyped")
    assert any(e.startswith(f"sample_types.md:{strftime}:") and "strftime" in e for e in errors), (
        errors
    )
    assert any(
        e.startswith(f"sample_types.md:{untyped}:") and "missing a type annotation" in e
        for e in errors
    ), errors


def test_a_failing_block_is_reported_and_stops_the_page(checked: Checked, tmp_path: Path) -> None:
    line = line_of("sample_runtime.md", "error: NameError")
    assert run(checked, "sample_runtime.md", tmp_path) == [
        f"sample_runtime.md:{line}: NameError: name 'missing' is not defined"
    ]


def test_an_expected_exception_must_be_raised(checked: Checked, tmp_path: Path) -> None:
    line = line_of("sample_raises.md", "error: nothing raised")
    assert run(checked, "sample_raises.md", tmp_path) == [
        f"sample_raises.md:{line}: expected ValueError, not raised"
    ]


def test_starting_a_server_is_refused(checked: Checked, tmp_path: Path) -> None:
    line = line_of("sample_server.md", "error: a server")
    [failure] = run(checked, "sample_server.md", tmp_path)
    assert failure.startswith(f"sample_server.md:{line}: ServerStarted:")
    assert 'if __name__ == "__main__":' in failure


def test_paths_relative_to_the_working_directory_fail(checked: Checked, tmp_path: Path) -> None:
    line = line_of("sample_paths.md", "error: not found")
    [failure] = run(checked, "sample_paths.md", tmp_path)
    assert failure.startswith(f"sample_paths.md:{line}: ConfigurationError:")
    assert (checked.written["sample_paths.md"].folder / "templates" / "item.html").is_file()


def test_a_page_s_tests_are_run(checked: Checked, tmp_path: Path) -> None:
    line = line_of("sample_tests.md", "error: AssertionError")
    in_file = line_of("sample_tests.md", "error: in a file")
    first, second = run(checked, "sample_tests.md", tmp_path)
    assert first == f"sample_tests.md:{line}: AssertionError"
    assert second.startswith(f"sample_tests.md:{in_file}: AssertionError")


def test_markers_need_a_reason_a_known_kind_and_a_block(checked: Checked) -> None:
    problems = checked.pages["sample_markers.md"].problems
    assert len(problems) == 5, problems
    assert "say why in parentheses" in problems[0]
    assert "unknown check marker 'maybe (what?)'" in problems[1]
    assert "must be on the line before a block" in problems[2]
    assert "examples/no_such_file.py does not exist" in problems[3]
    # Two excerpts are the file's lines (the second one indented there); the third is not.
    assert "not an excerpt of tests/docs_blocks.py" in problems[4]


def test_file_names_must_be_unique_across_pages(tmp_path: Path) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(f'{F}python title="shared.py"\nx = 1\n{F}\n')
    pages = [read_page(tmp_path / "a.md"), read_page(tmp_path / "b.md")]
    [problem] = duplicate_modules(pages)
    assert problem.startswith("b.md:1: the file shared.py is also on a.md:1")
