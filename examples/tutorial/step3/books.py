"""Step 3 of the tutorial: templates and a stylesheet. Run it with `python books.py`."""

from pathlib import Path

import kali
from kali import sqlite
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


def render(request: kali.Request, name: str, **values: object) -> kali.IoList:
    """The page for `request` made from the template `name`."""
    return templates(name)(**values)


def make_app(database: str | Path = HERE / "books.sqlite3") -> kali.App:
    """The reading list, kept in the SQLite file `database`."""
    db = sqlite.connect(database)
    if db.execute("PRAGMA user_version").fetchone()[0] == 0:  # a new, empty file
        db.executescript(SCHEMA)
    app = kali.App()
    app.mount("/static", StaticFiles(HERE / "static"))

    @app.get("/")
    def index(request: kali.Request) -> kali.IoList:
        books = db.execute("SELECT id, title, author FROM book ORDER BY title").fetchall()
        return render(request, "books", books=books)

    @app.get("/book/<int:id>")
    def book(request: kali.Request, id: int) -> kali.IoList:
        row = db.execute("SELECT * FROM book WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise kali.HTTPError(404)
        return render(request, "book", book=row)

    return app


if __name__ == "__main__":
    make_app().run()
