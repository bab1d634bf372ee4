"""Smoke tests: each example started as its own process, as its docstring says, and
answered over a real socket by ordinary clients: `urllib`, and `curl` where present."""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .example_process import EXAMPLES, RunningExample, run_example

CURL = shutil.which("curl")

# For each example: the paths to ask for, the status, and a text the body must hold (or
# the start of the Content-Type).
PAGES: dict[str, list[tuple[str, int, str]]] = {
    "intro": [
        ("/", 200, "Hello, world!"),
        ("/?name=Ada", 200, "Hello, Ada!"),
        ("/square/12", 200, "12 squared is 144."),
        ("/square/twelve", 404, "Not Found"),
    ],
    "static_site": [
        ("/", 200, "<h1>A static site</h1>"),
        ("/about.html", 200, "<h1>About</h1>"),
        ("/gallery.html", 200, "<h1>Gallery</h1>"),
        ("/style.css", 200, "text/css"),
        ("/site.js", 200, "text/javascript"),
        ("/images/18-blue-triangle.svg", 200, "image/svg+xml"),
        ("/files", 200, "/images/01-red-circle.svg"),
        ("/_drafts/next-post.html", 404, "There is no page at"),
        ("/_templates/layout.html", 404, "There is no page at"),
    ],
    "guard": [
        ("/", 200, 'id="total">120<'),
        ("/static/guard.css", 200, "text/css"),
        ("/nowhere", 404, "There is no page at /nowhere."),
    ],
    "todo": [
        ("/", 200, "Nothing to do."),
        ("/static/todo.css", 200, "text/css"),
        ("/tasks/1", 404, "There is no task 1"),
    ],
    "datebook": [
        ("/", 200, "The next seven days"),
        ("/contacts", 200, "No contacts yet."),
        ("/contacts/new", 200, 'name="name"'),
        ("/appointments", 200, "Nothing coming up."),
        ("/appointments/new", 200, 'type="time"'),
        ("/tasks", 200, "Nothing to do."),
        ("/tasks/new", 200, 'type="radio"'),
        ("/contacts/import", 200, 'type="file"'),
        ("/static/live.js", 200, "text/javascript"),
        ("/static/import.js", 200, "text/javascript"),
        ("/contacts/9", 404, "There is no contact 9"),
    ],
}

DATABASE_EXAMPLES = {"guard", "todo", "datebook"}


@pytest.fixture
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningExample]:
    name: str = request.param
    args = ["--db", str(tmp_path / f"{name}.sqlite3")] if name in DATABASE_EXAMPLES else []
    with run_example(name, *args) as running:
        yield running
    if sys.platform != "win32":  # where terminate() kills; elsewhere it is SIGTERM
        # Stopped as Ctrl-C would: it must end cleanly, by itself.
        assert running.process.returncode == 0, running.log()
        assert "kali: stopped\n" in running.stdout, running.log()
    if name != "guard":  # whose buttons fail on purpose, and are logged
        assert "Traceback" not in running.log(), running.log()


def fetch(
    url: str,
    data: dict[str, str] | None = None,
    opener: urllib.request.OpenerDirector | None = None,
) -> tuple[int, str, str]:
    """`(status, content type, body)` of a GET, or of a POST of the form `data`."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    opener = opener or urllib.request.build_opener()
    try:
        with opener.open(url, body, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


def curl(*args: str) -> str:
    assert CURL is not None
    done = subprocess.run(
        [CURL, "--silent", "--show-error", "--max-time", "20", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def csrf_token(page: str) -> str:
    found = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert found, "the form has no CSRF field"
    return found.group(1)


@pytest.mark.parametrize("example", sorted(PAGES), indirect=True)
def test_every_page_answers_urllib_and_curl(example: RunningExample) -> None:
    for path, status, expected in PAGES[example.name]:
        url = example.url.rstrip("/") + path
        got, content_type, body = fetch(url)
        assert got == status, (path, got, body[:300])
        assert content_type.startswith(expected) or expected in body, (path, content_type)
        if CURL is None:
            continue
        out = curl("--write-out", "\n%{http_code} %{content_type}", url)
        body, _, last = out.rpartition("\n")
        code, _, content_type = last.partition(" ")
        assert int(code) == status, (path, last)
        assert content_type.startswith(expected) or expected in body, (path, content_type)


@pytest.mark.parametrize("example", ["todo"], indirect=True)
def test_todo_adds_a_task_with_urllib(example: RunningExample) -> None:
    # A cookie jar, as a browser has: the flash message travels in a cookie.
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    _, _, page = fetch(example.url, opener=opener)
    form = {"title": "Buy <tea>", "_csrf": csrf_token(page)}
    status, _, page = fetch(example.url, form, opener)  # 303, followed to the list
    assert status == 200
    assert "Added “Buy &lt;tea&gt;”." in page and 'href="/tasks/1"' in page
    status, _, page = fetch(example.url, {"title": "", "_csrf": csrf_token(page)}, opener)
    assert status == 422 and "Fill in this field." in page


@pytest.mark.parametrize("example", ["guard"], indirect=True)
def test_guard_catches_a_forgotten_commit_over_a_socket(example: RunningExample) -> None:
    _, _, page = fetch(example.url)
    move = {"source": "savings", "target": "holiday", "coins": "30", "_csrf": csrf_token(page)}
    status, _, page = fetch(example.url + "move/forgetting-commit", move)
    assert status == 500 and "Your change was not saved" in page
    status, _, page = fetch(example.url + "move/failing-half-way", move)
    assert status == 500 and "nothing of the change was saved" in page
    _, _, page = fetch(example.url)
    assert 'id="total">120<' in page and "the total is 120" in page and "not locked" in page
    assert "None yet." in page  # no move was saved
    status, _, page = fetch(example.url + "move", move)  # the right way, then the redirect
    assert status == 200 and "<li>30 from Savings to Holiday</li>" in page
    assert 'id="total">120<' in page
    assert "TransactionLeftOpen" in example.log() and "OperationalError" in example.log()


@pytest.mark.skipif(CURL is None, reason="no curl on this machine")
@pytest.mark.parametrize("example", ["datebook"], indirect=True)
def test_datebook_imports_a_file_sent_by_curl_in_steps(
    example: RunningExample, tmp_path: Path
) -> None:
    jar = str(tmp_path / "cookies.txt")
    token = csrf_token(curl("--cookie-jar", jar, example.url + "contacts/import"))
    sample = EXAMPLES / "datebook" / "sample-contacts.csv"
    location = curl(
        "--cookie",
        jar,
        "--cookie-jar",
        jar,
        "--form",
        f"_csrf={token}",
        "--form",
        f"file=@{sample};type=text/csv",
        "--write-out",
        "%{http_code} %{redirect_url}",
        example.url + "contacts/import",
    )
    assert location.startswith("303 ") and location.endswith("/contacts/import/1"), location
    page = curl("--cookie", jar, example.url + "contacts/import/1")
    assert "40 rows read from <b>sample-contacts.csv</b>" in page
    assert "Read 40 rows from sample-contacts.csv." in page  # the flash, carried by the cookie
    steps = curl("--no-buffer", "--request", "POST", example.url + "contacts/import/1/run")
    lines = steps.splitlines()
    assert lines[:3] == [
        '{"done": 0, "total": 40}',
        '{"done": 25, "total": 40}',
        '{"done": 40, "total": 40}',
    ]
    assert '"imported": 36' in lines[3]
    assert curl(example.url + "contacts").count("<tr>") == 1 + 36
