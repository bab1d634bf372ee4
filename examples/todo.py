"""A to-do list on SQLite: formlets, a resource class, flash messages and the guard.

Run it from the repository's root, in a Python environment where kali is installed
(`pip install -e .`). The command is the same on Linux, macOS and Windows (in an
activated virtual environment `python` is that environment's Python everywhere):

    python examples/todo.py

It prints its address and opens a browser. `--port 0` picks a free port, `--no-browser`
opens none, `--db PATH` chooses the SQLite file (`examples/todo.sqlite3` by default);
Ctrl-C stops it.

What it shows:

- `kali.sqlite.connect` opens the file with the settings an app wants, and
  `app.use(kali.sqlite.guard(db))` makes sure no handler leaves a transaction open;
- two formlets: `NewTask` (one field, on the list page) and `EditTask` (a text, a date,
  a checkbox and a memo). A refused form comes back with the input kept and a message
  next to the field (status 422); a good one is saved and redirected (POST/redirect/GET);
- a resource class, `TaskPage`, for everything about one task: `GET /tasks/3` shows the
  edit form filled from the row, `POST /tasks/3` saves it, `POST /tasks/3/done` ticks
  it, `POST /tasks/3/delete` deletes it;
- flash messages ("Added “Buy tea”.") shown once on the page after the redirect;
- templates with a layout and an include; the app's own 404 page in that layout.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import kali
from kali import flash_messages, formlets, sqlite
from kali.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
FILES = HERE / "todo"
DATABASE = HERE / "todo.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS task (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    due TEXT,                          -- an ISO date, 2024-12-31, or NULL
    done INTEGER NOT NULL DEFAULT 0,   -- 0 or 1
    notes TEXT NOT NULL DEFAULT ''
);
"""


class NewTask(formlets.Form):
    """The one-line form at the top of the list."""

    title = formlets.Text(
        max_length=120,
        label="New task",
        attrs={"placeholder": "What needs doing?", "autofocus": True},
    )


class EditTask(formlets.Form):
    """Everything about a task. Its field names are the table's columns, so
    `EditTask.from_record(row)` fills it and `form.record()` saves it."""

    title = formlets.Text(max_length=120)
    due = formlets.Date(required=False, help="Leave it empty for no date.")
    done = formlets.Boolean()
    notes = formlets.Memo(required=False, max_length=2000, rows=4)
    seen = formlets.Hidden()  # the task as the page showed it: see `fingerprint`


def fingerprint(row: sqlite3.Row) -> str:
    """A short digest of a task's values. The edit page carries the one it was drawn from;
    a save from a page drawn before another window's save is refused rather than let it
    silently undo that save."""
    values = json.dumps([row["title"], row["due"], row["done"], row["notes"]])
    return hashlib.sha256(values.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TaskRow:
    """A task as the list shows it."""

    title: str
    due: str
    done: bool
    overdue: bool
    url: str
    done_url: str


def short_date(day: datetime.date, today: datetime.date) -> str:
    """`Mon 3 Jun`, with the year when it is not this year's."""
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def make_app(database: str | os.PathLike[str] = DATABASE) -> kali.App:
    """The to-do list on the SQLite file `database` (`":memory:"` for tests)."""
    db = sqlite.connect(database)
    db.executescript(SCHEMA)
    pages = kali.TemplateFolder(FILES / "templates")
    app = kali.App()
    app.use(sqlite.guard(db))  # first, so that it checks the other middleware too
    app.use(flash_messages.middleware)
    app.mount("/static", StaticFiles(FILES / "static"))

    def render(request: kali.Request, name: str, **context: object) -> kali.IoList:
        """A page in the layout, with the flash messages waiting for it."""
        flashes = flash_messages.render(flash_messages.messages(request))
        return pages(name)(flashes=flashes, **context)

    def task_row(row: sqlite3.Row, today: datetime.date) -> TaskRow:
        due = datetime.date.fromisoformat(row["due"]) if row["due"] else None
        return TaskRow(
            title=row["title"],
            due=short_date(due, today) if due else "",
            done=bool(row["done"]),
            overdue=due is not None and due < today and not row["done"],
            url=app.url_for("task.get", id=row["id"]),
            done_url=app.url_for("task.post_done", id=row["id"]),
        )

    def list_page(request: kali.Request, form: NewTask) -> kali.IoList:
        today = datetime.date.today()
        rows = db.execute(
            "SELECT * FROM task ORDER BY done, due IS NULL, due, id"  # open first, soonest first
        ).fetchall()
        tasks = [task_row(row, today) for row in rows]
        return render(
            request,
            "index",
            new_form=form.render(app.url_for(add), submit="Add"),
            open_tasks=[task for task in tasks if not task.done],
            done_tasks=[task for task in tasks if task.done],
        )

    @app.get("/")
    def index(request: kali.Request) -> kali.IoList:
        return list_page(request, NewTask())

    @app.post("/")
    def add(request: kali.Request) -> kali.Response:
        def save(form: NewTask) -> str:
            with sqlite.transaction(db):
                db.execute("INSERT INTO task (title) VALUES (?)", (form.title.value,))
            kali.flash(request, f"Added “{form.title.value}”.", "success")
            return app.url_for(index)

        return formlets.submit(
            NewTask(request.form), save=save, page=lambda f: list_page(request, f)
        )

    def find(id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute("SELECT * FROM task WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise kali.HTTPError(404, f"There is no task {id}: it may have been deleted.")
        return row

    # The routes are named "task.get", "task.post_done"... for url_for. (Without name=, a
    # class defined inside a function would be named "make_app.<locals>.TaskPage".)
    @app.resource("/tasks/<int:id>", name="task")
    class TaskPage(kali.Resource):
        """One task: `GET` and `POST` on /tasks/3, and the actions /tasks/3/done, /delete."""

        def get(self, request: kali.Request, id: int) -> kali.IoList:
            row = find(id)
            return self.page(request, id, EditTask.from_record({**row, "seen": fingerprint(row)}))

        def post(self, request: kali.Request, id: int) -> kali.Response:
            find(id)  # a 404 if it was deleted meanwhile

            def save(form: EditTask) -> str | kali.Response:
                now = fingerprint(find(id))
                if form.seen.value != now:  # saved from another window since this page
                    again = EditTask({**request.form, "seen": now})  # saving it again wins
                    again.add_error(
                        formlets.FORM_ERROR,
                        "This task was changed in another window after this page was opened. "
                        "Your version is below: save it again to keep it, or open the task "
                        "again to see the other one.",
                    )
                    return kali.Response(self.page(request, id, again), 409)
                with sqlite.transaction(db):
                    db.execute(
                        "UPDATE task SET title = :title, due = :due, done = :done, "
                        "notes = :notes WHERE id = :id",
                        {**form.record(), "id": id},
                    )
                kali.flash(request, f"Saved “{form.title.value}”.", "success")
                return app.url_for(index)

            return formlets.submit(
                EditTask(request.form), save=save, page=lambda f: self.page(request, id, f)
            )

        def post_done(self, request: kali.Request, id: int) -> kali.Response:
            task = find(id)
            # The other way to end a transaction: sqlite3 began one at the UPDATE, and
            # commit() ends it. Without this line the guard would answer with a 500.
            db.execute("UPDATE task SET done = NOT done WHERE id = ?", (id,))
            db.commit()
            state = "Not done" if task["done"] else "Done"
            kali.flash(request, f"{state}: “{task['title']}”.")
            return kali.Response.redirect(app.url_for(index))

        def post_delete(self, request: kali.Request, id: int) -> kali.Response:
            task = find(id)
            with sqlite.transaction(db):
                db.execute("DELETE FROM task WHERE id = ?", (id,))
            kali.flash(request, f"Deleted “{task['title']}”.")
            return kali.Response.redirect(app.url_for(index))

        def page(self, request: kali.Request, id: int, form: EditTask) -> kali.IoList:
            # Not a handler: only get/post/put/patch/delete and <verb>_<action> are.
            return render(
                request,
                "edit",
                title=find(id)["title"],
                form=form.render(),
                delete_url=app.url_for("task.post_delete", id=id),
            )

    @app.error(404)
    def not_found(request: kali.Request, error: kali.HTTPError) -> kali.IoList:
        message = error.message or f"There is no page at {request.path}."
        return pages("error")(heading="Not found", message=message, flashes=[])

    return app


def main() -> None:
    """Serve the list: `--port` (8080; 0 picks a free one), `--no-browser`, `--db`."""
    parser = argparse.ArgumentParser(description="A to-do list made with kali.")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--db", default=str(DATABASE), help="the SQLite file")
    args = parser.parse_args()
    make_app(args.db).run(port=args.port, open_browser=not args.no_browser)


if __name__ == "__main__":
    main()
