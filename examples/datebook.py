"""The datebook: contacts, appointments and tasks on SQLite, with pages that stay current.

Run it from the repository's root, in a Python environment where kali is installed
(`pip install -e .`). The command is the same on Linux, macOS and Windows (in an
activated virtual environment `python` is that environment's Python everywhere):

    python examples/datebook.py

It prints its address and opens a browser. `--port 0` picks a free port, `--no-browser`
opens none, `--db PATH` chooses the SQLite file (`examples/datebook.sqlite3` by default),
`--import-pause SECONDS` waits after each step of an import (to watch the progress bar on
a small file) and `--debug` shows tracebacks in error pages. Ctrl-C stops it.

What it shows, besides what the to-do list does (formlets, resources, flash messages, the
guard, templates with a layout):

- three kinds of record sharing one pair of resource classes, `NewRecord` and
  `RecordPage`, registered once per kind with an instance (`app.add_resource(path,
  RecordPage(book, CONTACTS))`); `TaskPage` adds an action by subclassing;
- forms with cross-field checks (an appointment ends after it starts), a field type of
  our own (`Time`), an Enum drawn as radio buttons, and a check only the database can
  make (`form.add_error` when a name is taken, or names nobody);
- **an import with a progress bar**: a CSV file of contacts is read, then imported by a
  generator, one batch of rows a step, each step in its own transaction. Between two
  steps the server answers every other window, so the app stays usable while it runs;
  the page's script reads the steps' lines as they arrive and moves a `<progress>` bar;
- **lists that follow other windows**: every change publishes an event on a
  `kali.EventStream`, and `static/live.js` (an `EventSource`) fetches the parts of the
  page that show that table again, without a reload;
- a timer (`@app.every(60)`), run between requests: when the date changes, the pages
  showing "today" follow;
- two windows editing one record: each edit page carries the record as it drew it
  (`seen`), and a save from a page drawn before another window's save is answered
  with the form again and a message (409), not allowed to undo that save.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import enum
import hashlib
import io
import itertools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import kali
from kali import flash_messages, formlets, sqlite
from kali.response import local_path
from kali.staticfiles import StaticFiles
from kali.templating import Rendered

HERE = Path(__file__).resolve().parent
FILES = HERE / "datebook"
DATABASE = HERE / "datebook.sqlite3"
IMPORT_BATCH = 25
"""Rows imported in one step (one transaction, one line of progress)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS contact (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    birthday TEXT,                        -- ISO dates, 1990-12-31, as the formlets store them
    notes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS appointment (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    day TEXT NOT NULL,
    start TEXT NOT NULL,                  -- 14:30
    finish TEXT,
    contact_id INTEGER REFERENCES contact (id) ON DELETE SET NULL,
    place TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS task (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    due TEXT,
    priority INTEGER NOT NULL DEFAULT 2,
    done INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT ''
);
"""

# -- the forms ---------------------------------------------------------------------------


class Time(formlets.Field[datetime.time | None]):
    """A time of day, `14:30`, as `<input type="time">`: a field type of our own."""

    input_type = "time"
    default_messages = {"required": "Fill in this field.", "invalid": "Enter a time like 14:30."}

    def parse(self, text: str) -> datetime.time:
        try:
            return datetime.time.fromisoformat(text).replace(second=0, microsecond=0)
        except ValueError:
            raise formlets.Invalid(self.message("invalid")) from None

    def to_text(self, value: datetime.time | None) -> str:
        return f"{value:%H:%M}" if value else ""

    def coerce(self, value: object) -> datetime.time | None:
        return value if isinstance(value, datetime.time) else super().coerce(value)


class RecordForm(formlets.Form):
    """A record's form. `seen` carries the record as its edit page showed it (see
    `fingerprint`); it is not a column."""

    seen = formlets.Hidden()


def fingerprint(row: sqlite3.Row) -> str:
    """A short digest of a record's values. A save from an edit page drawn before another
    window's save carries an older one, and is refused rather than let it undo that save."""
    values = json.dumps(list(row), default=str)
    return hashlib.sha256(values.encode()).hexdigest()[:16]


class ContactForm(RecordForm):
    id_prefix = "contact-"
    name = formlets.Text(max_length=80)
    email = formlets.Text(input_type="email", required=False, max_length=120)
    phone = formlets.Text(input_type="tel", required=False, max_length=40)
    birthday = formlets.Date(required=False)
    notes = formlets.Memo(required=False, max_length=2000, rows=3)

    def check(self, values: Mapping[str, object]) -> Mapping[str, str] | None:
        # Today's date, not a fixed maximum: the check runs when the form is sent.
        birthday = self.birthday.value
        if birthday is not None and birthday > datetime.date.today():
            return {"birthday": "A birthday is a day that has come already."}
        return None


class ImportedContact(ContactForm):
    """A row of an imported file: the contact form's checks, without the CSRF token (the
    row comes from a file the user chose, not from a page)."""

    csrf = False


class AppointmentForm(RecordForm):
    id_prefix = "appointment-"
    title = formlets.Text(max_length=120)
    day = formlets.Date(default=datetime.date.today)
    start = Time(label="Starts at")
    finish = Time(label="Ends at", required=False)
    contact = formlets.Text(
        label="With",
        required=False,
        max_length=80,
        help="One of your contacts, or nobody.",
        attrs={"list": "contact-names", "autocomplete": "off"},
    )
    place = formlets.Text(required=False, max_length=120)
    notes = formlets.Memo(required=False, max_length=2000, rows=3)

    def check(self, values: Mapping[str, object]) -> Mapping[str, str] | None:
        start, finish = self.start.value, self.finish.value
        if start is not None and finish is not None and finish <= start:
            return {"finish": "End it after it starts."}
        return None


class Priority(enum.IntEnum):
    HIGH = 1
    NORMAL = 2
    LOW = 3


class TaskForm(RecordForm):
    id_prefix = "task-"
    title = formlets.Text(max_length=120)
    due = formlets.Date(required=False)
    priority = formlets.Choice(Priority, widget="radio", default=Priority.NORMAL)
    done = formlets.Boolean()
    notes = formlets.Memo(required=False, max_length=2000, rows=3)


class ImportForm(formlets.Form):
    file = formlets.File(accept=[".csv", "text/csv"], max_size=5 * 1024 * 1024, label="CSV file")


class Search(formlets.Form):
    csrf = False  # sent with GET: it changes nothing
    q = formlets.Text(required=False, input_type="search", label="Find", max_length=80)


# -- the kinds of record -----------------------------------------------------------------

Columns = dict[str, formlets.SQLValue]


def form_columns(db: sqlite3.Connection, form: formlets.Form) -> Columns | None:
    """The form's values as the table's columns (the field names are the column names)."""
    columns = form.record()
    del columns["seen"]
    return columns


def appointment_columns(db: sqlite3.Connection, form: formlets.Form) -> Columns | None:
    """An appointment names its contact; the table holds the contact's id."""
    columns = form_columns(db, form)
    assert columns is not None
    name = columns.pop("contact")
    contact_id = None
    if name:
        row = db.execute("SELECT id FROM contact WHERE name = ?", (name,)).fetchone()
        if row is None:
            form.add_error(
                "contact", "No contact has that name: add them first, or leave it empty."
            )
            return None
        contact_id = row["id"]
    return {**columns, "contact_id": contact_id}


@dataclass(frozen=True)
class Kind:
    """One kind of record: its table, its form, and how a form becomes a row."""

    table: str
    """The table, the word for one record, and the data of the event when one changes."""
    plural: str
    """The name of the list's route, and the start of its URLs: /contacts, /contacts/3."""
    form: type[formlets.Form]
    title_field: str
    """The column that names a record in headings and messages."""
    select: str
    """The SQL for one record, by id, with a column for each field of the form."""
    columns: Callable[[sqlite3.Connection, formlets.Form], Columns | None] = form_columns
    """The form's values as columns, or `None` after `form.add_error` said what is wrong."""


CONTACTS = Kind("contact", "contacts", ContactForm, "name", "SELECT * FROM contact WHERE id = ?")
APPOINTMENTS = Kind(
    "appointment",
    "appointments",
    AppointmentForm,
    "title",
    "SELECT appointment.*, contact.name AS contact FROM appointment "
    "LEFT JOIN contact ON contact.id = appointment.contact_id WHERE appointment.id = ?",
    appointment_columns,
)
TASKS = Kind("task", "tasks", TaskForm, "title", "SELECT * FROM task WHERE id = ?")


# -- what the lists show -------------------------------------------------------------------


@dataclass(frozen=True)
class ContactItem:
    name: str
    email: str
    phone: str
    birthday: str
    url: str


@dataclass(frozen=True)
class AppointmentItem:
    day: datetime.date
    time: str
    title: str
    contact: str
    place: str
    url: str


@dataclass(frozen=True)
class Day:
    label: str
    items: list[AppointmentItem]


@dataclass(frozen=True)
class TaskItem:
    title: str
    due: str
    priority: int
    done: bool
    overdue: bool
    url: str
    done_url: str


def long_date(day: datetime.date, today: datetime.date) -> str:
    """`Today`, `Tomorrow`, or `Wednesday 5 June` (with the year if it is not this one)."""
    if day == today:
        return "Today"
    if day == today + datetime.timedelta(days=1):
        return "Tomorrow"
    text = f"{day:%A} {day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def short_date(text: str | None) -> str:
    """An ISO date from the database as `5 Jun 1990`; empty for none."""
    if not text:
        return ""
    day = datetime.date.fromisoformat(text)
    return f"{day.day} {day:%b %Y}"


def by_day(items: Sequence[AppointmentItem], today: datetime.date) -> list[Day]:
    return [
        Day(long_date(day, today), list(group))
        for day, group in itertools.groupby(items, key=lambda item: item.day)
    ]


# -- the import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingImport:
    """A file that was read and checked, waiting for its import to be started."""

    filename: str
    rows: list[dict[str, str]]


def read_contacts_csv(data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV file whose first line names its columns (`name` at least).

    Raises:
        ValueError: with a message for the user, when the file cannot be read so.
    """
    try:
        text = data.decode("utf-8-sig")  # the BOM spreadsheets write is not part of a name
    except UnicodeDecodeError:
        raise ValueError(
            "The file is not UTF-8 text: save it as “CSV UTF-8” and try again."
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    line = 1  # where the row being read starts
    rows: list[dict[str, str]] = []
    try:
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
        if "name" not in reader.fieldnames:
            raise ValueError(
                "The first line names no “name” column; it should name the columns, "
                "like name,email,phone,birthday,notes."
            )
        known = ContactForm.fields
        while True:
            line = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            rows.append({k: v or "" for k, v in row.items() if k in known})
    except csv.Error as exc:
        if str(exc) == "unexpected end of data":  # the file ends inside a quoted value
            raise ValueError(
                f'A quote (") opened on line {line} is never closed: close it, or take it out.'
            ) from None
        raise ValueError(f"Line {line} is not CSV the datebook can read ({exc}).") from None
    if not rows:
        raise ValueError("The file has no rows under its first line.")
    return rows


def progress(done: int, total: int, **summary: object) -> str:
    """One step's line of output: JSON the page's script reads."""
    return json.dumps({"done": done, "total": total, **summary}) + "\n"


# -- the application ---------------------------------------------------------------------


class Datebook:
    """What every handler shares: the database, the templates, the events, the imports."""

    def __init__(
        self,
        app: kali.App,
        db: sqlite3.Connection,
        import_pause: float,
        today: Callable[[], datetime.date],
    ) -> None:
        self.app = app
        self.db = db
        self.today = today
        """Today's date (a function, so that tests can choose the day)."""
        self.day = today()
        """The day the pages were made for; the `new_day` timer watches it change."""
        self.pages = kali.TemplateFolder(FILES / "templates")
        self.events = kali.EventStream()
        """Where every change is published: `changed`, with the table's name."""
        self.version = 0
        """The id of the last event published: pages carry it, to subscribe from there."""
        self.imports: dict[int, PendingImport] = {}
        self.import_pause = import_pause
        self._import_ids = itertools.count(1)

    def page(
        self, request: kali.Request, name: str, section: str, **context: object
    ) -> kali.IoList:
        """A page in the layout, with the flash messages waiting for it.

        The live lists fetch pages again with `X-Refresh`: such a fetch shows (and takes)
        no messages, so they stay for the window that made the change.
        """
        if request.headers.get("x-refresh"):
            flashes = Rendered()
        else:
            flashes = flash_messages.render(flash_messages.messages(request))
        return self.pages(name)(section=section, flashes=flashes, version=self.version, **context)

    def error_page(self, title: str, message: str) -> kali.IoList:
        """An error page in the layout. It runs outside the middleware, so it shows no
        flash messages: they wait for the next page."""
        return self.pages("error")(
            section="", flashes=[], version=self.version, title=title, message=message
        )

    def find(self, kind: Kind, id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = self.db.execute(kind.select, (id,)).fetchone()
        if row is None:
            raise kali.HTTPError(404, f"There is no {kind.table} {id}: it may have been deleted.")
        return row

    def changed(self, kind: Kind) -> None:
        """Tell every window showing this kind of record (`static/live.js` listens)."""
        self.version = self.events.publish("changed", kind.table).id

    def form_page(
        self, request: kali.Request, kind: Kind, form: formlets.Form, id: int | None
    ) -> kali.IoList:
        """The page of a form: a new record's (`id` is `None`) or an existing one's."""
        if id is None:
            heading, delete_url = f"New {kind.table}", ""
        else:
            heading = str(self.find(kind, id)[kind.title_field])
            delete_url = self.app.url_for(f"{kind.table}.get_delete", id=id)
        names = []
        if kind is APPOINTMENTS:  # for the "With" field's suggestions
            names = [
                row["name"] for row in self.db.execute("SELECT name FROM contact ORDER BY name")
            ]
        return self.page(
            request,
            "record",
            kind.plural,
            title=heading,
            heading=heading,
            form=form.render(),
            contact_names=names,
            delete_url=delete_url,
            back_url=self.app.url_for(kind.plural),
        )

    def save(
        self, request: kali.Request, kind: Kind, form: formlets.Form, id: int | None
    ) -> str | None:
        """Insert or update the record; the URL to go to next, or `None` to show the form
        again with the message added."""
        columns = kind.columns(self.db, form)
        if columns is None:
            return None
        # The table and column names come from this file (the Kind and the form's fields),
        # never from the request; the values are passed as parameters.
        names = list(columns)
        try:
            with sqlite.transaction(self.db):
                if id is None:
                    self.db.execute(
                        f"INSERT INTO {kind.table} ({', '.join(names)}) "
                        f"VALUES ({', '.join(':' + name for name in names)})",
                        columns,
                    )
                else:
                    self.db.execute(
                        f"UPDATE {kind.table} SET {', '.join(f'{n} = :{n}' for n in names)} "
                        "WHERE id = :id",
                        {**columns, "id": id},
                    )
        except sqlite3.IntegrityError:  # UNIQUE: another contact has that name
            form.add_error(kind.title_field, f"Another {kind.table} has that {kind.title_field}.")
            return None
        self.changed(kind)
        kali.flash(request, f"Saved the {kind.table} “{form[kind.title_field].value}”.", "success")
        return self.app.url_for(kind.plural)

    def add_import(self, filename: str, rows: list[dict[str, str]]) -> int:
        number = next(self._import_ids)
        self.imports[number] = PendingImport(filename, rows)
        return number

    def import_steps(self, pending: PendingImport) -> Iterator[str]:
        """The import as a generator: one batch of rows a step, one line of JSON each.

        The server runs one step, sends its line, serves everyone else, then runs the next.
        Each batch is one transaction, saved as its step ends (the guard checks that no step
        leaves one open); each row in it is a savepoint, so a refused row undoes only itself.
        """
        total = len(pending.rows)
        imported = 0
        skipped: list[tuple[int, str]] = []
        yield progress(0, total)
        for first in range(0, total, IMPORT_BATCH):
            batch = pending.rows[first : first + IMPORT_BATCH]
            with sqlite.transaction(self.db):
                for line, row in enumerate(batch, start=first + 2):  # line 1 names the columns
                    problem = self.import_row(row)
                    if problem is None:
                        imported += 1
                    else:
                        skipped.append((line, problem))
            self.changed(CONTACTS)  # the contact lists in other windows grow as we go
            if self.import_pause:  # --import-pause, to watch the bar: it delays the others
                time.sleep(self.import_pause)  # by at most this much, as a slow step would
            yield progress(first + len(batch), total)
        yield progress(total, total, imported=imported, skipped=skipped)

    def import_row(self, row: dict[str, str]) -> str | None:
        """Check and insert one row; what is wrong with it, or `None` once it is in."""
        form = ImportedContact(row)
        if not form.valid:
            name, message = next(iter(form.errors.items()))
            return f"{ImportedContact.fields[name].label}: {message}"
        try:
            with sqlite.transaction(self.db):  # nested, so a savepoint
                self.db.execute(
                    "INSERT INTO contact (name, email, phone, birthday, notes) "
                    "VALUES (:name, :email, :phone, :birthday, :notes)",
                    form.record(),
                )
        except sqlite3.IntegrityError:
            return "Name: another contact has that name."
        return None


class NewRecord(kali.Resource):
    """`/contacts/new`: GET shows an empty form, POST creates the record."""

    def __init__(self, book: Datebook, kind: Kind) -> None:
        self.book = book
        self.kind = kind

    def get(self, request: kali.Request) -> kali.IoList:
        return self.book.form_page(request, self.kind, self.kind.form(), None)

    def post(self, request: kali.Request) -> kali.Response:
        book, kind = self.book, self.kind
        return formlets.submit(
            kind.form(request.form),
            save=lambda form: book.save(request, kind, form, None),
            page=lambda form: book.form_page(request, kind, form, None),
        )


class RecordPage(kali.Resource):
    """`/contacts/3`: GET shows the form filled from the row, POST saves it;
    `/contacts/3/delete`: GET asks, POST deletes."""

    def __init__(self, book: Datebook, kind: Kind) -> None:
        self.book = book
        self.kind = kind

    def get(self, request: kali.Request, id: int) -> kali.IoList:
        row = self.book.find(self.kind, id)
        form = self.kind.form.from_record({**row, "seen": fingerprint(row)})
        return self.book.form_page(request, self.kind, form, id)

    def post(self, request: kali.Request, id: int) -> kali.Response:
        book, kind = self.book, self.kind
        book.find(kind, id)  # a 404 if another window deleted it meanwhile

        def save(form: formlets.Form) -> str | kali.Response | None:
            now = fingerprint(book.find(kind, id))
            if form["seen"].value != now:  # saved from another window since this page
                again = kind.form({**request.form, "seen": now})  # saving it again wins
                again.add_error(
                    formlets.FORM_ERROR,
                    f"This {kind.table} was changed in another window after this page was "
                    "opened. Your version is below: save it again to keep it, or open the "
                    f"{kind.table} again to see the other one.",
                )
                return kali.Response(book.form_page(request, kind, again, id), 409)
            return book.save(request, kind, form, id)

        return formlets.submit(
            kind.form(request.form),
            save=save,
            page=lambda form: book.form_page(request, kind, form, id),
        )

    def get_delete(self, request: kali.Request, id: int) -> kali.IoList:
        name = self.book.find(self.kind, id)[self.kind.title_field]
        return self.book.page(
            request,
            "delete",
            self.kind.plural,
            title=f"Delete {name}",
            heading=f"Delete this {self.kind.table}?",
            question=f"“{name}” will be deleted for good.",
            back_url=self.book.app.url_for(f"{self.kind.table}.get", id=id),
        )

    def post_delete(self, request: kali.Request, id: int) -> kali.Response:
        book, kind = self.book, self.kind
        name = book.find(kind, id)[kind.title_field]
        with sqlite.transaction(book.db):
            book.db.execute(f"DELETE FROM {kind.table} WHERE id = ?", (id,))
        book.changed(kind)
        kali.flash(request, f"Deleted the {kind.table} “{name}”.")
        return kali.Response.redirect(book.app.url_for(kind.plural))


class TaskPage(RecordPage):
    """A task's page, and one more action: `POST /tasks/3/done` ticks it (or unticks it)."""

    def post_done(self, request: kali.Request, id: int, back: str = "/tasks") -> kali.Response:
        book = self.book
        task = book.find(TASKS, id)
        with sqlite.transaction(book.db):
            book.db.execute("UPDATE task SET done = NOT done WHERE id = ?", (id,))
        book.changed(TASKS)
        kali.flash(request, f"{'Not done' if task['done'] else 'Done'}: “{task['title']}”.")
        # Back to the list the button was on: a path of this site, never another site
        # (local_path defuses `//evil.example` and `/\evil.example`, which browsers
        # read as another host).
        target = local_path(back) if back.startswith("/") else book.app.url_for("tasks")
        return kali.Response.redirect(target)


def make_app(
    database: str | os.PathLike[str] = DATABASE,
    *,
    import_pause: float = 0.0,
    today: Callable[[], datetime.date] = datetime.date.today,
) -> kali.App:
    """The datebook on the SQLite file `database` (`":memory:"` for tests).

    `import_pause` is a wait, in seconds, after each step of an import; `today` gives
    the date (tests pass their own).
    """
    db = sqlite.connect(database)
    db.executescript(SCHEMA)
    app = kali.App()
    book = Datebook(app, db, import_pause, today)
    app.use(sqlite.guard(db))  # first, so that it checks the other middleware too
    app.use(flash_messages.middleware)
    app.mount("/static", StaticFiles(FILES / "static"))

    for kind, page in ((CONTACTS, RecordPage), (APPOINTMENTS, RecordPage), (TASKS, TaskPage)):
        app.add_resource(f"/{kind.plural}/new", NewRecord(book, kind), name=f"new_{kind.table}")
        app.add_resource(f"/{kind.plural}/<int:id>", page(book, kind), name=kind.table)

    def appointment_items(where: str, *args: object, order: str = "") -> list[AppointmentItem]:
        rows = db.execute(
            "SELECT appointment.*, contact.name AS contact FROM appointment "
            "LEFT JOIN contact ON contact.id = appointment.contact_id "
            f"WHERE {where} ORDER BY day {order}, start {order}",
            args,
        )
        return [
            AppointmentItem(
                day=datetime.date.fromisoformat(row["day"]),
                time=row["start"] + (f"-{row['finish']}" if row["finish"] else ""),
                title=row["title"],
                contact=row["contact"] or "",
                place=row["place"],
                url=app.url_for("appointment.get", id=row["id"]),
            )
            for row in rows
        ]

    def task_items(where: str, back: str, limit: int = -1) -> list[TaskItem]:
        today = book.today().isoformat()
        rows = db.execute(
            f"SELECT * FROM task WHERE {where} ORDER BY due IS NULL, due, priority, id LIMIT ?",
            (limit,),
        )
        return [
            TaskItem(
                title=row["title"],
                due=short_date(row["due"]),
                priority=row["priority"],
                done=bool(row["done"]),
                overdue=bool(row["due"]) and row["due"] < today and not row["done"],
                url=app.url_for("task.get", id=row["id"]),
                done_url=app.url_for("task.post_done", id=row["id"], back=back),
            )
            for row in rows
        ]

    @app.get("/")
    def home(request: kali.Request) -> kali.IoList:
        """Today: the week's appointments and the tasks still to do."""
        day = book.today()
        week = appointment_items(
            "day BETWEEN ? AND ?", day.isoformat(), (day + datetime.timedelta(days=6)).isoformat()
        )
        return book.page(
            request,
            "today",
            "today",
            title="Today",
            today=f"{day:%A} {day.day} {day:%B} {day.year}",
            days=by_day(week, day),
            tasks=task_items("NOT done", app.url_for(home), limit=10),
        )

    @app.get("/appointments")
    def appointments(request: kali.Request) -> kali.IoList:
        day = book.today()
        upcoming = appointment_items("day >= ?", day.isoformat())
        past = [  # the ten before today, latest first, with their dates
            dataclasses.replace(item, time=f"{short_date(item.day.isoformat())}, {item.time}")
            for item in appointment_items("day < ?", day.isoformat(), order="DESC")[:10]
        ]
        return book.page(
            request,
            "appointments",
            "appointments",
            title="Appointments",
            days=by_day(upcoming, day),
            past=past,
        )

    @app.get("/tasks")
    def tasks(request: kali.Request) -> kali.IoList:
        back = app.url_for(tasks)
        return book.page(
            request,
            "tasks",
            "tasks",
            title="Tasks",
            open_tasks=task_items("NOT done", back),
            done_tasks=task_items("done", back, limit=20),
        )

    @app.get("/contacts")
    def contacts(request: kali.Request) -> kali.IoList:
        search = Search(request.query)
        query = search.q.value if search.valid else ""
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = db.execute(
            "SELECT * FROM contact WHERE name LIKE ? ESCAPE '\\' ORDER BY name", (pattern,)
        )
        found = [
            ContactItem(
                name=row["name"],
                email=row["email"],
                phone=row["phone"],
                birthday=short_date(row["birthday"]),
                url=app.url_for("contact.get", id=row["id"]),
            )
            for row in rows
        ]
        return book.page(
            request,
            "contacts",
            "contacts",
            title="Contacts",
            search=search.render(method="get", submit="Search"),
            contacts=found,
            query=query,
        )

    @app.resource("/contacts/import", name="import")
    class ImportContacts(kali.Resource):
        """GET: choose a file. POST: read and check it, then go to its import page."""

        def get(self, request: kali.Request) -> kali.IoList:
            return self.page(request, ImportForm())

        def post(self, request: kali.Request) -> kali.Response:
            def save(form: ImportForm) -> str | None:
                upload = form.file.value
                try:
                    rows = read_contacts_csv(upload.read())
                except ValueError as exc:
                    form.add_error("file", str(exc))
                    return None
                number = book.add_import(upload.filename, rows)
                count = len(rows)
                kali.flash(
                    request, f"Read {count} row{'' if count == 1 else 's'} from {upload.filename}."
                )
                return app.url_for("importing.get", id=number)

            return formlets.submit(
                ImportForm(request.form), save=save, page=lambda form: self.page(request, form)
            )

        def page(self, request: kali.Request, form: ImportForm) -> kali.IoList:
            return book.page(
                request,
                "import",
                "contacts",
                title="Import contacts",
                form=form.render(submit="Read the file"),
            )

    @app.resource("/contacts/import/<int:id>", name="importing")
    class Importing(kali.Resource):
        """GET: the progress page. POST `/run`: the import itself, streamed step by step."""

        def get(self, request: kali.Request, id: int) -> kali.IoList:
            pending = book.imports.get(id)
            if pending is None:
                raise kali.HTTPError(404, "This import has run already, or the app restarted.")
            return book.page(
                request,
                "importing",
                "contacts",
                title="Importing contacts",
                filename=pending.filename,
                total=len(pending.rows),
                batch=IMPORT_BATCH,
                run_url=app.url_for("importing.post_run", id=id),
            )

        def post_run(self, request: kali.Request, id: int) -> kali.Response:
            pending = book.imports.pop(id, None)  # an import runs once
            if pending is None:
                raise kali.HTTPError(404, "This import has run already, or the app restarted.")
            steps = kali.Stream(book.import_steps(pending))
            return kali.Response(steps, content_type="text/plain; charset=utf-8")

    @app.every(60)
    def new_day() -> None:
        """A timer, run between requests: at midnight the pages showing "today" follow."""
        if book.today() != book.day:
            book.day = book.today()
            book.version = book.events.publish("changed", "day").id

    @app.get("/events")
    def events(request: kali.Request, since: int = 0) -> kali.Response:
        """The live lists' `EventSource`: one `changed` event each time a table changes.

        `since` is the version the page was made at: the events published after it (while
        the page loaded) are sent first, so the page misses none. A reconnecting
        `EventSource` says where it stopped itself, with `Last-Event-ID`.
        """
        return book.events.subscribe(request, since=since)

    @app.error(404)
    def not_found(request: kali.Request, error: kali.HTTPError) -> kali.IoList:
        return book.error_page("Not found", error.message or f"There is no page at {request.path}.")

    @app.error(500)
    def failed(request: kali.Request, error: Exception) -> kali.IoList:
        if isinstance(error, kali.HTTPError) and error.message:
            message = error.message  # the guard's "Your change was not saved: ..."
        else:
            message = "Something went wrong, and the change was not saved."
        return book.error_page("Something went wrong", message)

    return app


def main() -> None:
    """Serve the datebook: `--port`, `--no-browser`, `--db`, `--import-pause`, `--debug`."""
    parser = argparse.ArgumentParser(description="A datebook made with kali.")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--db", default=str(DATABASE), help="the SQLite file")
    parser.add_argument(
        "--import-pause",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait after each import step",
    )
    parser.add_argument("--debug", action="store_true", help="tracebacks in error pages")
    args = parser.parse_args()
    app = make_app(args.db, import_pause=args.import_pause)
    app.run(port=args.port, open_browser=not args.no_browser, debug=args.debug)


if __name__ == "__main__":
    main()
