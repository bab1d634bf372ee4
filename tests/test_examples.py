"""Every example works through the test client, templates included.

(tests/test_examples_smoke.py runs each example as its own process over a socket, and
tests/browser/ in Chromium.)
"""

from __future__ import annotations

import datetime
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest

import kali
from kali.formlets import csrf_token
from kali.sqlite import TransactionLeftOpen
from kali.testing import TestClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))


def test_intro() -> None:
    from intro import app

    client = TestClient(app)
    page = client.get("/").text
    assert "Hello, world!" in page and 'href="/square/12"' in page
    assert "Hello, &lt;b&gt;!" in client.get("/?name=<b>").text
    square = client.get("/square/12").text
    assert "12 squared is 144." in square and 'href="/square/13"' in square
    assert client.get("/square/twelve").status == 404


def test_demo_notes_round_trip() -> None:
    from demo import make_app

    client = TestClient(make_app(":memory:"))
    assert "No notes yet" in client.get("/").text
    added = client.post("/", data={"text": "first <note>"})
    assert added.status == 303 and added.headers["location"] == "/"
    page = client.get("/").text
    assert "first &lt;note&gt;" in page
    assert 'action="/note/1/delete"' in page
    blank = client.post("/", data={"text": "   "})  # what the browser's `required` lets by
    assert blank.status == 422 and "A note needs some text." in blank.text
    assert 'value="   "' in blank.text and 'id="add"' in blank.text  # the page, input kept
    long = client.post("/", data={"text": "x" * 1001})
    assert long.status == 422 and "at most 1000 characters" in long.text
    assert "x" * 1001 in long.text
    assert client.get("/static/style.css").status == 200
    assert client.post("/note/1/delete").status == 303
    assert "No notes yet" in client.get("/").text
    assert client.get("/missing").status == 404
    assert client.get("/note/1/delete").status == 405


def test_demo_templates_compile() -> None:
    # Every template of the examples compiles (errors would name file and line).
    folder = kali.TemplateFolder(EXAMPLES / "templates")
    for path in sorted((EXAMPLES / "templates").glob("*.html")):
        assert folder(path.stem).source


@pytest.mark.parametrize(
    "folder", ["static_site/_templates", "guard/templates", "todo/templates", "datebook/templates"]
)
def test_every_template_of_the_other_examples_compiles(folder: str) -> None:
    # Errors would name the file and the line.
    templates = kali.TemplateFolder(EXAMPLES / folder)
    paths = sorted((EXAMPLES / folder).glob("*.html"))
    assert paths
    for path in paths:
        assert templates(path.stem).source


# -- static content ------------------------------------------------------------------


def test_static_site_serves_its_folder_a_page_of_its_own_and_its_404() -> None:
    from static_site import make_app

    client = TestClient(make_app())
    index = client.get("/")
    assert index.status == 200 and "<h1>A static site</h1>" in index.text
    assert client.get("/style.css").headers["content-type"] == "text/css; charset=utf-8"
    picture = client.get("/images/01-red-circle.svg")
    assert picture.headers["content-type"].startswith("image/svg+xml")
    again = client.get(
        "/images/01-red-circle.svg", headers={"If-None-Match": picture.headers["etag"]}
    )
    assert again.status == 304
    part = client.get("/gallery.html", headers={"Range": "bytes=0-14"})
    assert part.status == 206 and part.text == "<!doctype html>"
    # A route wins over the mounted folder; hidden names are left out of it and not served.
    files = client.get("/files").text
    assert 'href="/gallery.html"' in files and 'href="/images/18-blue-triangle.svg"' in files
    assert (
        "_drafts" not in files.split("</table>")[0]
        and "_templates/" not in files.split("</table>")[0]
    )
    for hidden in ("/_drafts/next-post.html", "/_templates/layout.html", "/missing.html"):
        missing = client.get(hidden)
        assert missing.status == 404
        assert f"There is no page at <code>{hidden}</code>" in missing.text  # in the layout
        assert 'href="/style.css"' in missing.text


# -- the transaction guard -----------------------------------------------------------------


def jars_of(path: Path) -> dict[str, int]:
    """The coins as another program reading the file sees them."""
    other = sqlite3.connect(path)
    try:
        return dict(other.execute("SELECT id, coins FROM jar"))
    finally:
        other.close()


def move(source: str, target: str, coins: int) -> dict[str, str]:
    return {"source": source, "target": target, "coins": str(coins), "_csrf": csrf_token()}


def test_guard_example_moves_in_a_transaction_and_refuses_what_does_not_fit(
    tmp_path: Path,
) -> None:
    from guard import make_app

    path = tmp_path / "jars.sqlite3"
    client = TestClient(make_app(path))
    page = client.get("/").text
    assert 'id="total">120<' in page and "the total is 120" in page and "not locked" in page
    done = client.post("/move", data=move("savings", "holiday", 30))
    assert done.status == 303
    page = client.get("/").text
    assert "Moved 30 coins from Savings to Holiday." in page
    assert "<li>30 from Savings to Holiday</li>" in page
    assert jars_of(path) == {"savings": 70, "holiday": 50, "rainy-day": 0}
    # The CHECK fails in the block: rolled back, and the form says why.
    refused = client.post("/move", data=move("rainy-day", "holiday", 5))
    assert refused.status == 422 and "Rainy day has fewer coins than that." in refused.text
    same = client.post("/move", data=move("holiday", "holiday", 5))
    assert same.status == 422 and "Choose another jar" in same.text
    assert jars_of(path) == {"savings": 70, "holiday": 50, "rainy-day": 0}


def test_guard_example_catches_a_forgotten_commit_and_a_failure_half_way(tmp_path: Path) -> None:
    from guard import make_app

    path = tmp_path / "jars.sqlite3"
    app = make_app(path)
    # In a test the client raises the guard's error, naming the handler that forgot.
    with pytest.raises(TransactionLeftOpen, match="move_forgetting_commit"):
        TestClient(app).post("/move/forgetting-commit", data=move("savings", "holiday", 10))
    client = TestClient(app, raise_server_exceptions=False)
    forgot = client.post("/move/forgetting-commit", data=move("savings", "holiday", 10))
    assert forgot.status == 500 and "<h1>The change was undone</h1>" in forgot.text
    assert "Your change was not saved" in forgot.text and 'href="/static/guard.css"' in forgot.text
    failed = client.post("/move/failing-half-way", data=move("savings", "holiday", 10))
    assert failed.status == 500 and "nothing of the change was saved" in failed.text
    # Nothing half-written, nothing locked, no "Moved" message for what was undone.
    assert jars_of(path) == {"savings": 100, "holiday": 20, "rainy-day": 0}
    page = client.get("/").text
    assert "not locked" in page and "None yet." in page and "Moved" not in page
    assert client.post("/move", data=move("savings", "holiday", 10)).status == 303  # works on


def test_guard_example_without_the_guard_shows_the_mistake(tmp_path: Path) -> None:
    from guard import make_app

    path = tmp_path / "jars.sqlite3"
    client = TestClient(make_app(path, guard=False))
    assert client.post("/move/forgetting-commit", data=move("savings", "holiday", 10)).status == 303
    page = client.get("/").text
    # This program sees the move; every other program sees the old coins and a locked file.
    assert "<li>10 from Savings to Holiday</li>" in page
    assert "the total is 120 and the database is\nlocked" in page
    assert jars_of(path) == {"savings": 100, "holiday": 20, "rainy-day": 0}


# -- the to-do list ---------------------------------------------------------------------------


def seen(page: str) -> str:
    """The hidden `seen` value of an edit page (what the task was when it was drawn)."""
    found = re.search(r'name="seen" value="([^"]*)"|value="([^"]*)"[^>]*name="seen"', page)
    assert found is not None, "no seen field on the page"
    return found[1] or found[2]


def test_todo_two_windows_editing_one_task_do_not_lose_a_save() -> None:
    from todo import make_app

    client = TestClient(make_app(":memory:"))
    client.post("/", data={"title": "Plan", "_csrf": csrf_token()})
    window_a = seen(client.get("/tasks/1").text)
    window_b = seen(client.get("/tasks/1").text)  # the same task, opened twice
    base = {"title": "Plan", "_csrf": csrf_token()}
    first = client.post("/tasks/1", data={**base, "notes": "From A.", "seen": window_a})
    assert first.status == 303
    late = client.post("/tasks/1", data={**base, "due": "2030-01-01", "seen": window_b})
    assert late.status == 409
    assert "changed in another window" in late.text
    assert 'value="2030-01-01"' in late.text  # B's input is kept...
    edit = client.get("/tasks/1").text
    assert "From A." in edit  # ...and A's save is not undone
    again = client.post("/tasks/1", data={**base, "due": "2030-01-01", "seen": seen(late.text)})
    assert again.status == 303  # saving B's version again, knowingly, wins
    assert "Tue 1 Jan 2030" in client.get("/").text


def test_todo_round_trip() -> None:
    from todo import make_app

    client = TestClient(make_app(":memory:"))
    assert "Nothing to do." in client.get("/").text
    added = client.post("/", data={"title": "Buy <tea>", "_csrf": csrf_token()})
    assert added.status == 303 and added.headers["location"] == "/"
    page = client.get("/").text
    assert "Added “Buy &lt;tea&gt;”." in page and 'href="/tasks/1"' in page
    assert "Added" not in client.get("/").text  # shown once
    empty = client.post("/", data={"title": "  ", "_csrf": csrf_token()})
    assert empty.status == 422 and "Fill in this field." in empty.text

    edit = client.get("/tasks/1").text
    assert 'value="Buy &lt;tea&gt;"' in edit and 'action="/tasks/1/delete"' in edit
    form = {"title": "Buy tea", "due": "2020-02-30", "notes": "Green.", "_csrf": csrf_token()}
    form["seen"] = seen(edit)
    refused = client.post("/tasks/1", data=form)
    assert refused.status == 422 and 'value="2020-02-30"' in refused.text  # the input kept
    assert "Green." in refused.text
    saved = client.post("/tasks/1", data={**form, "due": "2020-02-28"})
    assert saved.status == 303
    page = client.get("/").text
    assert "Saved “Buy tea”." in page and "Fri 28 Feb 2020" in page and "task overdue" in page

    assert client.post("/tasks/1/done").status == 303
    page = client.get("/").text
    assert "Done: “Buy tea”." in page and 'class="tasks done"' in page
    assert client.post("/tasks/1/delete").status == 303
    page = client.get("/").text
    assert "Deleted “Buy tea”." in page and "Nothing to do." in page
    missing = client.get("/tasks/1")
    assert missing.status == 404 and "There is no task 1" in missing.text
    assert 'href="/static/todo.css"' in missing.text  # the app's page, in its layout
    assert client.post("/tasks/1/done").status == 404
    assert client.get("/static/todo.css").status == 200


# -- the datebook -----------------------------------------------------------------------------


def contact(name: str, **fields: str) -> dict[str, str]:
    return {"name": name, **fields, "_csrf": csrf_token()}


def test_datebook_contacts_round_trip() -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    assert "No contacts yet." in client.get("/contacts").text
    created = client.post("/contacts/new", data=contact("Ada Lovelace", email="ada@example.com"))
    assert created.status == 303 and created.headers["location"] == "/contacts"
    page = client.get("/contacts").text
    assert "Saved the contact “Ada Lovelace”." in page and 'href="/contacts/1"' in page
    # Refused by the form (an email), by the database (a name taken, whatever its case).
    bad = client.post("/contacts/new", data=contact("Bob", email="bob at home"))
    assert bad.status == 422 and 'value="bob at home"' in bad.text
    taken = client.post("/contacts/new", data=contact("ada LOVELACE", phone="123"))
    assert taken.status == 422 and "Another contact has that name." in taken.text
    assert 'value="123"' in taken.text
    future = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    unborn = client.post("/contacts/new", data=contact("Cy", birthday=future))
    assert unborn.status == 422 and "A birthday is a day that has come already." in unborn.text
    # Edited, searched, deleted.
    edit = client.get("/contacts/1").text
    assert 'value="ada@example.com"' in edit and 'href="/contacts/1/delete"' in edit
    saved = client.post(
        "/contacts/1", data=contact("Ada King", birthday="1815-12-10", seen=seen(edit))
    )
    assert saved.status == 303
    assert "10 Dec 1815" in client.get("/contacts").text
    assert "Ada King" in client.get("/contacts?q=king").text
    assert "No contact is named like “bob”." in client.get("/contacts?q=bob").text
    assert "Ada King" not in client.get("/contacts?q=%25").text.split("<section")[1]
    assert "Delete this contact?" in client.get("/contacts/1/delete").text
    assert client.post("/contacts/1/delete").status == 303
    assert "Deleted the contact “Ada King”." in client.get("/contacts").text
    assert client.get("/contacts/1").status == 404


@pytest.mark.parametrize(
    ("path", "first", "late", "shown"),
    [
        ("/contacts/1", contact("Ada", notes="From A."), contact("Ada", phone="555"), "555"),
        (
            "/appointments/1",
            {"title": "Tea", "day": "2031-06-01", "start": "15:00", "place": "Home"},
            {"title": "Tea", "day": "2031-06-01", "start": "16:00"},
            "16:00",
        ),
    ],
)
def test_datebook_two_windows_editing_one_record_do_not_lose_a_save(
    path: str, first: dict[str, str], late: dict[str, str], shown: str
) -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    new = path.rsplit("/", 1)[0] + "/new"
    created = client.post(new, data={**late, "_csrf": csrf_token()})
    assert created.status == 303
    window_a = seen(client.get(path).text)
    window_b = seen(client.get(path).text)  # the same record, opened twice
    token = {"_csrf": csrf_token()}
    assert client.post(path, data={**first, **token, "seen": window_a}).status == 303
    stale = client.post(path, data={**late, **token, "seen": window_b})
    assert stale.status == 409
    assert "changed in another window" in stale.text
    assert f'value="{shown}"' in stale.text  # B's input is kept...
    kept = first.get("notes") or first["place"]
    assert kept in client.get(path).text  # ...and A's save is not undone
    nothing = client.post(path, data={**late, **token})  # no seen at all: not a fresh page
    assert nothing.status == 409
    again = client.post(path, data={**late, **token, "seen": seen(stale.text)})
    assert again.status == 303  # saving B's version again, knowingly, wins
    assert kept not in client.get(path).text


def test_datebook_appointments_name_a_contact_and_end_after_they_start() -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    client.post("/contacts/new", data=contact("Ada Lovelace"))
    tea = {"title": "Tea", "day": "2031-06-01", "start": "15:00", "_csrf": csrf_token()}
    early = client.post("/appointments/new", data={**tea, "finish": "14:00"})
    assert early.status == 422 and "End it after it starts." in early.text
    assert 'value="15:00"' in early.text
    nobody = client.post("/appointments/new", data={**tea, "contact": "Grace"})
    assert nobody.status == 422 and "No contact has that name" in nobody.text
    saved = client.post(
        "/appointments/new", data={**tea, "finish": "16:30", "contact": "ada lovelace"}
    )
    assert saved.status == 303
    page = client.get("/appointments").text
    assert '15:00-16:30</span> <a href="/appointments/1">Tea</a>' in page
    assert "with Ada Lovelace" in page and "Sunday 1 June 2031" in page
    edit = client.get("/appointments/1").text
    assert 'value="Ada Lovelace"' in edit and '<option value="Ada Lovelace">' in edit
    # Deleting the contact keeps the appointment (ON DELETE SET NULL), without a name.
    client.post("/contacts/1/delete")
    assert "Tea</a></li>" in client.get("/appointments").text


def test_datebook_tasks_are_ticked_and_go_back_only_to_this_site() -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    made = client.post(
        "/tasks/new", data={"title": "Write", "priority": "1", "_csrf": csrf_token()}
    )
    assert made.status == 303
    assert "task priority-1" in client.get("/").text  # on the Today page
    assert client.post("/tasks/1/done?back=/").headers["location"] == "/"
    assert "Done: “Write”." in client.get("/tasks").text
    for back in ("//evil.example/", "/%5Cevil.example/", "/\\evil.example/"):
        location = client.post("/tasks/1/done", query={"back": back}).headers["location"]
        assert location.startswith("/") and location[1] not in "/\\", location  # this site
    assert client.post("/tasks/1/done?back=https://evil.example/").headers["location"] == "/tasks"
    assert client.post("/tasks/9/done").status == 404


def test_datebook_imports_a_csv_file_in_steps() -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    sample = (EXAMPLES / "datebook" / "sample-contacts.csv").read_bytes()
    upload = {"file": ("people.csv", sample, "text/csv")}
    read = client.post("/contacts/import", data={"_csrf": csrf_token()}, files=upload)
    assert read.status == 303 and read.headers["location"] == "/contacts/import/1"
    page = client.get("/contacts/import/1").text
    assert "Read 40 rows from people.csv." in page and 'max="40"' in page
    run = client.post("/contacts/import/1/run")
    steps = [json.loads(line) for line in run.text.splitlines()]
    assert steps[:3] == [
        {"done": 0, "total": 40},
        {"done": 25, "total": 40},
        {"done": 40, "total": 40},
    ]
    assert steps[3]["imported"] == 36
    assert [line for line, _ in steps[3]["skipped"]] == [8, 16, 22, 32]
    assert "Name: another contact has that name." in dict(steps[3]["skipped"]).values()
    assert "36 contacts" in client.get("/contacts").text
    assert client.post("/contacts/import/1/run").status == 404  # an import runs once
    # Each step published a change for the live lists.
    events = client.get("/events?since=0")
    assert events.headers["content-type"] == "text/event-stream"
    assert events.text.count("event: changed\ndata: contact\n") == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"email\nada@example.com\n", "names no “name” column"),
        (b"name,email\n", "no rows under its first line"),
        ("name\nAdé\n".encode("latin-1"), "not UTF-8 text"),
        (b'name,email\nCy,c@x\n"Ada,ada@x\nBob,b@x\n', "A quote (&quot;) opened on line 3"),
        (b'name,email\nCy,c@x\n"Ada" Lovelace,ada@x\n', "Line 3 is not CSV the datebook can read"),
    ],
)
def test_datebook_refuses_a_file_it_cannot_import(content: bytes, message: str) -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    upload = {"file": ("people.csv", content, "text/csv")}
    refused = client.post("/contacts/import", data={"_csrf": csrf_token()}, files=upload)
    assert refused.status == 422 and message in refused.text


def test_datebook_live_lists_see_every_change_and_leave_the_messages() -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    assert 'data-version="0"' in client.get("/contacts").text
    client.post("/contacts/new", data=contact("Ada"))
    client.post("/tasks/new", data={"title": "Write", "priority": "2", "_csrf": csrf_token()})
    # A page made now carries version 2; subscribing from 1 sends what came after it.
    refreshed = client.get("/tasks", headers={"X-Refresh": "1"}).text
    assert 'data-version="2"' in refreshed and "Saved the task" not in refreshed
    assert "Saved the task “Write”." in client.get("/tasks").text  # still waiting for a visit
    since = client.get("/events?since=1").text
    assert "data: task" in since and "data: contact" not in since
    resumed = client.get("/events", headers={"Last-Event-ID": "0"}).text
    assert "id: 1\nevent: changed\ndata: contact" in resumed


def test_datebook_pages_and_error_pages() -> None:
    from datebook import make_app

    client = TestClient(make_app(":memory:"))
    for path in ("/", "/appointments", "/appointments/new", "/tasks", "/tasks/new", "/contacts"):
        page = client.get(path)
        assert page.status == 200 and 'href="/static/datebook.css"' in page.text, path
    missing = client.get("/contacts/7")
    assert missing.status == 404 and "There is no contact 7" in missing.text
    assert 'href="/static/datebook.css"' in missing.text
    assert client.get("/nowhere").status == 404
    assert client.get("/static/live.js").status == 200


def test_datebook_pages_follow_the_day_when_it_changes() -> None:
    from datebook import make_app

    days = [datetime.date(2031, 6, 1)]
    client = TestClient(make_app(":memory:", today=lambda: days[0]))
    assert "<h1>Sunday 1 June 2031</h1>" in client.get("/").text
    assert client.run_timers(advance=61) == 1  # the new_day timer, as the server runs it
    assert "data: day" not in client.get("/events?since=0").text
    days[0] = datetime.date(2031, 6, 2)  # midnight
    assert client.run_timers(advance=61) == 1
    assert "data: day" in client.get("/events?since=0").text
    assert "<h1>Monday 2 June 2031</h1>" in client.get("/").text
