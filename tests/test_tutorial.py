"""The tutorial: each step of `examples/tutorial/stepN/` runs with the one command its page
gives, does what its page (`docs/tutorial/N-*.md`) says, passes `mypy --strict`, and every one
of its files is shown on its page.

Steps are found by their folder, so a step added later (`step7/` with `docs/tutorial/7-*.md`) is
checked by the generic tests at once; the tests of a feature run on its step and on every later
one, since later steps keep what earlier ones built.
"""

from __future__ import annotations

import importlib.util
import re
import runpy
import sqlite3
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import kali
import kali.server
from kali import formlets
from kali.testing import TestClient, TestResponse

from .docs_blocks import Kind, read_page

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "examples" / "tutorial"
PAGES = ROOT / "docs" / "tutorial"
STEPS = sorted(
    (p.name for p in TUTORIAL.glob("step*") if p.is_dir()), key=lambda name: int(name[4:])
)
SNIPPET = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<path>[^"]+)"\s*$', re.M)


def number(step: str) -> int:
    return int(step.removeprefix("step"))


def from_step(first: int) -> list[str]:
    """The steps from `first` on: a feature stays once a step has added it."""
    return [step for step in STEPS if number(step) >= first]


def page_of(step: str) -> Path:
    [page] = PAGES.glob(f"{number(step)}-*.md")
    return page


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("importing a tutorial step started a server")


@contextmanager
def no_server() -> Iterator[None]:
    with mock.patch.object(kali.server.Server, "__init__", _refuse):
        yield


def load(step: str, source: str | None = None) -> types.ModuleType:
    """The step's `books.py` as a fresh module (from `source` instead of the file if given)."""
    path = TUTORIAL / step / "books.py"
    module = types.ModuleType(f"tutorial_{step}_books")
    module.__file__ = str(path)
    code = compile(path.read_text() if source is None else source, str(path), "exec")
    with no_server():
        exec(code, module.__dict__)
    return module


def client(step: str, tmp_path: Path, **options: Any) -> TestClient:
    return TestClient(load(step).make_app(tmp_path / "books.sqlite3"), **options)


def add(c: TestClient, **fields: str) -> TestResponse:
    return c.post("/new", data={**fields, "_csrf": formlets.csrf_token()})


def titles(page: TestResponse) -> list[str]:
    return re.findall(r'<li><a href="/book/\d+">([^<]*)</a>', page.text)


def other_program(tmp_path: Path) -> sqlite3.Connection:
    """A second connection to the step's database, as another program would open it."""
    return sqlite3.connect(tmp_path / "books.sqlite3", timeout=0, isolation_level=None)


# -- every step --------------------------------------------------------------------------------


def test_the_steps_are_numbered_from_one() -> None:
    assert [number(step) for step in STEPS] == list(range(1, len(STEPS) + 1))
    assert len(STEPS) >= 6


@pytest.mark.parametrize("step", STEPS)
def test_a_step_runs_with_python_books_py(step: str) -> None:
    # `python books.py`: the module run as __main__ builds the app and serves it (App.run is
    # replaced here), with the database next to the file; importing it serves nothing.
    path = TUTORIAL / step / "books.py"
    assert "Run it with `python books.py`." in (load(step).__doc__ or "")
    served: list[kali.App] = []
    opened: list[Path] = []
    real_connect = kali.sqlite.connect

    def run(app: kali.App, *args: object, **kwargs: object) -> None:
        app.compile()  # every registration error shows here, as in App.run
        served.append(app)

    def connect(database: str | Path, **kwargs: Any) -> sqlite3.Connection:
        opened.append(Path(database))
        return real_connect(":memory:", **kwargs)

    with (
        no_server(),
        mock.patch.object(kali.App, "run", run),
        mock.patch.object(kali.sqlite, "connect", connect),
    ):
        runpy.run_path(str(path), run_name="__main__")
    assert len(served) == 1
    assert opened in ([], [path.parent / "books.sqlite3"])
    assert TestClient(served[0]).get("/").status == 200


@pytest.mark.parametrize("step", STEPS)
def test_a_step_passes_mypy_strict(step: str, mypy_cache: Path) -> None:
    # One run per step: each step has its own books.py, as the reader's folder has.
    api = pytest.importorskip("mypy.api")
    files = sorted(str(p) for p in (TUTORIAL / step).glob("*.py"))
    options = ["--strict", "--no-error-summary", "--show-absolute-path", "--hide-error-context"]
    options += ["--no-pretty", "--cache-dir", str(mypy_cache)]  # as tests/test_docs.py: shared
    options += ["--config-file", str(ROOT / "pyproject.toml")]
    stdout, stderr, status = api.run([*options, *files])
    assert (stdout, stderr, status) == ("", "", 0)


@pytest.mark.parametrize("step", STEPS)
def test_every_file_of_a_step_is_shown_on_its_page(step: str) -> None:
    # The page includes the files themselves (pymdownx.snippets), so they cannot drift apart;
    # a file it does not show must be the same as in the step before.
    page = page_of(step)
    shown = set(SNIPPET.findall(page.read_text()))
    prefix = f"examples/tutorial/{step}/"
    assert all(path.startswith(prefix) for path in shown), shown
    folder = TUTORIAL / step
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or ".sqlite3" in path.name:
            continue
        relative = path.relative_to(folder).as_posix()
        if prefix + relative in shown:
            continue
        before = TUTORIAL / f"step{number(step) - 1}" / relative
        assert before.is_file() and before.read_bytes() == path.read_bytes(), (
            f"{prefix}{relative} is new or changed, but {page.name} does not show it"
        )


def test_every_tutorial_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in sorted(PAGES.glob("*.md")):
        assert f"tutorial/{page.name}" in nav, page.name


# -- step 1: a first page ----------------------------------------------------------------------


def test_step1_shows_a_page() -> None:
    c = TestClient(load("step1").app)
    page = c.get("/")
    assert page.status == 200
    assert "<h1>My reading list</h1>" in page.text
    assert c.get("/nothing").status == 404


def test_step1_a_handler_without_the_request_gives_the_message_of_the_page() -> None:
    source = (TUTORIAL / "step1" / "books.py").read_text()
    broken = source.replace("def index(request: kali.Request) -> str:", "def index() -> str:")
    assert broken != source
    with pytest.raises(kali.RouteError) as raised:
        exec(compile(broken, "books.py", "exec"), {"__name__": "books"})
    error = raised.value
    shown = f"{type(error).__module__}.{type(error).__qualname__}: {error}"
    assert shown == text_block(page_of("step1"), "SignatureMismatchError")


def test_step1_mypy_with_the_folders_config_says_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reader's folder: the step's mypy.ini beside the broken books.py, mypy run there.
    api = pytest.importorskip("mypy.api")
    source = (TUTORIAL / "step1" / "books.py").read_text()
    broken = source.replace("def index(request: kali.Request) -> str:", "def index() -> str:")
    (tmp_path / "books.py").write_text(broken)
    (tmp_path / "mypy.ini").write_bytes((TUTORIAL / "step1" / "mypy.ini").read_bytes())
    monkeypatch.chdir(tmp_path)
    stdout, stderr, status = api.run(
        ["--no-error-summary", "--cache-dir", ".mypy_cache", "books.py"]
    )
    assert (stdout.strip(), stderr, status) == (
        text_block(page_of("step1"), "[kali-route]"),
        "",
        1,
    )


def text_block(page: Path, containing: str) -> str:
    """The ```text block of `page` that contains `containing`."""
    blocks = re.findall(r"^```text\n(.*?)\n```$", page.read_text(), re.S | re.M)
    [block] = [b for b in blocks if containing in b]
    return block


# -- step 2: books in a database ---------------------------------------------------------------


@pytest.mark.parametrize("step", from_step(2))
def test_step2_lists_the_books_and_shows_each(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    page = c.get("/")
    assert page.text.index("Small Gods") < page.text.index("The Left Hand of Darkness")
    book = c.get("/book/1")
    assert "<h1>The Left Hand of Darkness</h1>" in book.text
    assert "Ursula K. Le Guin" in book.text and "304 pages" in book.text
    assert c.get("/book/99").status == 404  # no such book
    assert c.get("/book/two").status == 404  # not a number: the handler is not called


@pytest.mark.parametrize("step", from_step(2))
def test_step2_the_books_stay_in_the_file(step: str, tmp_path: Path) -> None:
    client(step, tmp_path)
    add_row(tmp_path / "books.sqlite3", "Dune")
    again = client(step, tmp_path)  # the program started again: the schema is not run twice
    assert len(re.findall(r'<li><a href="/book/', again.get("/").text)) == 3


def add_row(path: Path, title: str, *, pages: int | None = 100) -> None:
    """Add a book as another program would."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute(
        "INSERT INTO book (title, author, pages) VALUES (?, 'Someone', ?)", (title, pages)
    )
    other.close()


@pytest.mark.parametrize("step", from_step(2))
def test_step2_titles_are_escaped(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    add_row(tmp_path / "books.sqlite3", "<script>alert(1)</script>")
    for page in (c.get("/"), c.get("/book/3")):
        assert "<script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_step2_another_program_can_read_while_the_app_runs(tmp_path: Path) -> None:
    c = client("step2", tmp_path)
    assert c.get("/").status == 200
    other = other_program(tmp_path)
    assert other.execute("SELECT count(*) FROM book").fetchone()[0] == 2
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


# -- step 3: templates and a stylesheet --------------------------------------------------------


@pytest.mark.parametrize("step", from_step(3))
def test_step3_pages_share_the_layout_and_the_stylesheet(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    page = c.get("/")
    assert "<title>My reading list</title>" in page.text
    assert '<link rel="stylesheet" href="/static/style.css">' in page.text
    assert '<header><a href="/">My reading list</a></header>' in page.text
    book = c.get("/book/2")
    assert "<title>Small Gods - My reading list</title>" in book.text
    assert "Not read yet." in book.text
    css = c.get("/static/style.css")
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    escape = c.get("/static/../books.py")  # only the files of the folder are served
    assert escape.status == 301 and c.get(escape.headers["location"]).status == 404


@pytest.mark.parametrize("step", from_step(3))
def test_step3_no_books_and_unknown_pages(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    add_row(tmp_path / "books.sqlite3", "A book of no length", pages=None)
    assert '<p class="author">by Someone</p>' in c.get("/book/3").text  # no "None pages"
    other = other_program(tmp_path)
    other.execute("DELETE FROM book")
    other.close()
    assert "No books yet." in c.get("/").text


# -- step 4: a form ----------------------------------------------------------------------------


@pytest.mark.parametrize("step", from_step(4))
def test_step4_the_empty_form(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    assert 'href="/new"' in c.get("/").text
    form = c.get("/new")
    assert "<h1>Add a book</h1>" in form.text
    for name in ("title", "author", "pages", "read", "_csrf"):
        assert f'name="{name}"' in form.text
    assert 'maxlength="200"' in form.text and 'min="1"' in form.text


@pytest.mark.parametrize("step", from_step(4))
def test_step4_adding_saves_and_redirects(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    response = add(c, title="  Dune ", author="Frank Herbert", pages="412", read="on")
    assert response.status == 303
    assert response.headers["location"] == "/book/3"
    page = c.get("/book/3")
    assert "<h1>Dune</h1>" in page.text and "412 pages" in page.text
    assert "You have read it." in page.text
    other = other_program(tmp_path)
    assert other.execute("SELECT title, pages, read FROM book WHERE id = 3").fetchone() == (
        "Dune",
        412,
        1,
    )
    assert not other.execute("SELECT 1 FROM book WHERE id = 4").fetchone()
    add(c, title="Piranesi", author="Susanna Clarke")  # pages left empty
    assert other.execute("SELECT pages, read FROM book WHERE id = 4").fetchone() == (None, 0)
    other.close()


@pytest.mark.parametrize("step", from_step(4))
def test_step4_a_wrong_form_comes_back_with_messages(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    response = add(c, title="", author="Frank Herbert", pages="many")
    assert response.status == 422
    assert "Fill in this field." in response.text
    assert "Enter a whole number." in response.text
    assert 'value="Frank Herbert"' in response.text and 'value="many"' in response.text
    assert add(c, title="Dune", author="Frank Herbert", pages="0").status == 422
    assert len(titles(c.get("/"))) == 2  # nothing was saved


@pytest.mark.parametrize("step", from_step(4))
def test_step4_a_form_without_the_token_is_refused(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    response = c.post("/new", data={"title": "Dune", "author": "Frank Herbert"})
    assert response.status == 422
    assert "This form has expired" in response.text
    assert len(titles(c.get("/"))) == 2


@pytest.mark.parametrize("step", from_step(4))
def test_step4_editing(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    book = c.get("/book/2")
    assert 'href="/book/2/edit"' in book.text
    form = c.get("/book/2/edit")
    assert "<h1>Edit the book</h1>" in form.text
    assert 'value="Small Gods"' in form.text and 'value="284"' in form.text
    data = {"title": "Small Gods", "author": "Terry Pratchett", "read": "on"}
    saved = c.post("/book/2/edit", data={**data, "_csrf": formlets.csrf_token()})
    assert saved.status == 303 and saved.headers["location"] == "/book/2"
    page = c.get("/book/2").text
    assert "You have read it." in page and "284 pages" not in page  # pages emptied
    wrong = c.post("/book/2/edit", data={**data, "title": "", "_csrf": formlets.csrf_token()})
    assert wrong.status == 422
    assert c.get("/book/99/edit").status == 404
    assert c.post("/book/99/edit", data={**data, "_csrf": formlets.csrf_token()}).status == 404


# -- step 5: messages, deleting, the guard -----------------------------------------------------


@pytest.mark.parametrize("step", from_step(5))
def test_step5_a_message_after_each_change_shown_once(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    added = add(c, title="Dune", author="Frank Herbert")
    page = c.get(added.headers["location"])
    assert '<li class="flash flash-info">Added “Dune”.</li>' in page.text
    assert "Added" not in c.get(added.headers["location"]).text  # once
    data = {"title": "Dune", "author": "Frank Herbert", "_csrf": formlets.csrf_token()}
    c.post("/book/3/edit", data=data)
    assert "Saved." in c.get("/book/3").text
    assert "Saved." not in c.get("/").text


@pytest.mark.parametrize("step", from_step(5))
def test_step5_deleting(step: str, tmp_path: Path) -> None:
    c = client(step, tmp_path)
    assert 'action="/book/2/delete"' in c.get("/book/2").text
    assert c.get("/book/2/delete").status == 405  # a link cannot delete
    refused = c.post("/book/2/delete", headers={"Origin": "http://evil.example"})
    assert refused.status == 403  # nor another site
    response = c.post("/book/2/delete")
    assert response.status == 303 and response.headers["location"] == "/"
    page = c.get("/")
    assert titles(page) == ["The Left Hand of Darkness"]
    assert "Deleted “Small Gods”." in page.text
    assert c.get("/book/2").status == 404
    assert c.post("/book/2/delete").status == 404


def test_step5_the_guard_catches_the_forgotten_transaction_of_the_page(tmp_path: Path) -> None:
    # Make the change that the page asks the reader to try, and see what the page says.
    page = read_page(page_of("step5"))
    [bare] = [
        b.code for b in page.blocks if b.kind is Kind.EXCERPT and b.code.startswith("        db.")
    ]
    source = (TUTORIAL / "step5" / "books.py").read_text()
    block = "        with sqlite.transaction(db):\n    " + bare + "\n"
    assert block in source
    app = load("step5", source.replace(block, bare + "\n")).make_app(tmp_path / "books.sqlite3")
    c = TestClient(app, raise_server_exceptions=False)
    response = c.post("/book/2/delete")
    assert response.status == 500
    said = text_block(page_of("step5"), "Your change was not saved")
    assert " ".join(said.split()) in " ".join(response.text.split())
    page_after = c.get("/")
    assert "Small Gods" in titles(page_after)  # still there
    assert "Deleted" not in page_after.text  # and no message for a change that was undone
    with pytest.raises(kali.sqlite.TransactionLeftOpen, match="delete_book"):
        TestClient(app).post("/book/2/delete")


# -- step 6: tests -----------------------------------------------------------------------------


def run_the_tutorial_tests(step: str, tmp_path: Path) -> dict[str, BaseException | None]:
    """Run step 6's `test_books.py` against the `books.py` of `step`: each test's failure."""
    saved = sys.modules.get("books")
    sys.modules["books"] = load(step)  # what `from books import make_app` finds
    try:
        path = TUTORIAL / "step6" / "test_books.py"
        spec = importlib.util.spec_from_file_location("tutorial_test_books", path)
        assert spec is not None and spec.loader is not None
        tests = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tests)
    finally:
        if saved is None:
            del sys.modules["books"]
        else:
            sys.modules["books"] = saved
    results: dict[str, BaseException | None] = {}
    for name, function in vars(tests).items():
        if name.startswith("test_") and callable(function):
            folder = tmp_path / name
            folder.mkdir()
            try:
                function(folder)
            except AssertionError as failure:
                results[name] = failure
            else:
                results[name] = None
    return results


@pytest.mark.parametrize("step", from_step(6))
def test_step6_the_tests_pass(step: str, tmp_path: Path) -> None:
    results = run_the_tutorial_tests(step, tmp_path)
    assert len(results) == 8
    assert {name: failure for name, failure in results.items() if failure} == {}


def test_step6_the_tests_find_the_bug_of_step5(tmp_path: Path) -> None:
    results = run_the_tutorial_tests("step5", tmp_path)
    failed = sorted(name for name, failure in results.items() if failure)
    assert failed == ["test_the_list_is_in_alphabetical_order"]
