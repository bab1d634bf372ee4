"""Step 7 of the tutorial: a window of its own. Run it with `python books.py`."""

import sqlite3
import sys
from pathlib import Path

import kali
from kali import flash_messages, formlets, sqlite
from kali.desktop import user_data_dir
from kali.staticfiles import StaticFiles

HERE = Path(__file__).parent  # the folder of this file, wherever the program is started from

SCHEMA = """
BEGIN;
CREATE TABLE book (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    pages INTEGER,
    read INTEGER NOT NULL DEFAULT 0
);
INSERT INTO book (title, author, pages) VALUES
    ('The Left Hand of Darkness', 'Ursula K. Le Guin', 304),
    ('Small Gods', 'Terry Pratchett', 284);
PRAGMA user_version = 1;
COMMIT;
"""

templates = kali.TemplateFolder(HERE / "templates")


class BookForm(formlets.Form):
    """What the user fills in for a book: one field for each column."""

    title = formlets.Text(max_length=200)
    author = formlets.Text(max_length=200)
    pages = formlets.Integer(minimum=1, maximum=100_000, required=False)
    read = formlets.Boolean(label="I have read it")


def render(request: kali.Request, name: str, **values: object) -> kali.IoList:
    """The page for `request` made from the template `name`, with the messages waiting."""
    messages = flash_messages.render(flash_messages.messages(request))
    return templates(name)(messages=messages, **values)


def make_app(database: str | Path = HERE / "books.sqlite3") -> kali.App:
    """The reading list, kept in the SQLite file `database`."""
    db = sqlite.connect(database)
    if db.execute("PRAGMA user_version").fetchone()[0] == 0:  # a new, empty file
        db.executescript(SCHEMA)
    app = kali.App()
    app.use(sqlite.guard(db))  # first, so that it checks all that comes after it
    app.use(flash_messages.middleware)
    app.mount("/static", StaticFiles(HERE / "static"))

    def find(id: int) -> sqlite3.Row:
        """The book `id`, or a 404 page if there is none."""
        row: sqlite3.Row | None = db.execute("SELECT * FROM book WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise kali.HTTPError(404)
        return row

    @app.get("/")
    def index(request: kali.Request) -> kali.IoList:
        books = db.execute(
            "SELECT id, title, author FROM book ORDER BY title COLLATE NOCASE"
        ).fetchall()
        return render(request, "books", books=books)

    @app.get("/book/<int:id>")
    def book(request: kali.Request, id: int) -> kali.IoList:
        return render(request, "book", book=find(id))

    @app.get("/new")
    def new_book(request: kali.Request) -> kali.IoList:
        return render(request, "form", title="Add a book", form=BookForm().render())

    @app.post("/new")
    def add_book(request: kali.Request) -> kali.Response:
        def save(form: BookForm) -> str:
            with sqlite.transaction(db):
                cursor = db.execute(
                    "INSERT INTO book (title, author, pages, read)"
                    " VALUES (:title, :author, :pages, :read)",
                    form.record(),
                )
            kali.flash(request, f"Added “{form.title.value}”.")
            return f"/book/{cursor.lastrowid}"

        def page(form: BookForm) -> kali.IoList:
            return render(request, "form", title="Add a book", form=form.render())

        return formlets.submit(BookForm(request.form), save=save, page=page)

    @app.get("/book/<int:id>/edit")
    def edit_book(request: kali.Request, id: int) -> kali.IoList:
        form = BookForm.from_record(find(id))
        return render(request, "form", title="Edit the book", form=form.render())

    @app.post("/book/<int:id>/edit")
    def save_book(request: kali.Request, id: int) -> kali.Response:
        find(id)  # a 404 page if the book is gone

        def save(form: BookForm) -> str:
            with sqlite.transaction(db):
                db.execute(
                    "UPDATE book SET title = :title, author = :author, pages = :pages,"
                    " read = :read WHERE id = :id",
                    {**form.record(), "id": id},
                )
            kali.flash(request, "Saved.")
            return f"/book/{id}"

        def page(form: BookForm) -> kali.IoList:
            return render(request, "form", title="Edit the book", form=form.render())

        return formlets.submit(BookForm(request.form), save=save, page=page)

    @app.post("/book/<int:id>/delete")
    def delete_book(request: kali.Request, id: int) -> kali.Response:
        title = find(id)["title"]
        with sqlite.transaction(db):
            db.execute("DELETE FROM book WHERE id = ?", (id,))
        kali.flash(request, f"Deleted “{title}”.")
        return kali.Response.redirect("/", 303)

    return app


def database_file() -> Path:
    """`books.sqlite3` beside this file; for the shipped program, which unpacks itself
    into a new temporary folder each time it starts, in the user's data folder."""
    if not getattr(sys, "frozen", False):
        return HERE / "books.sqlite3"
    folder = user_data_dir("Reading list")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "books.sqlite3"


if __name__ == "__main__":
    database = database_file()
    # A window of its own; started again, it shows this window rather than a second copy;
    # closed, the program ends.
    make_app(database).run(window=True, app_id=str(database.resolve()))
