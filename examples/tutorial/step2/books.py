"""Step 2 of the tutorial: books from a SQLite database. Run it with `python books.py`."""

from html import escape
from pathlib import Path

import kali
from kali import sqlite

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


def make_app(database: str | Path = HERE / "books.sqlite3") -> kali.App:
    """The reading list, kept in the SQLite file `database`."""
    db = sqlite.connect(database)
    if db.execute("PRAGMA user_version").fetchone()[0] == 0:  # a new, empty file
        db.executescript(SCHEMA)
    app = kali.App()

    @app.get("/")
    def index(request: kali.Request) -> kali.IoList:
        rows = db.execute("SELECT id, title, author FROM book ORDER BY title").fetchall()
        items = [
            f'<li><a href="/book/{row["id"]}">{escape(row["title"])}</a>'
            f" by {escape(row['author'])}</li>"
            for row in rows
        ]
        return ["<h1>My reading list</h1><ul>", items, "</ul>"]

    @app.get("/book/<int:id>")
    def book(request: kali.Request, id: int) -> kali.IoList:
        row = db.execute("SELECT * FROM book WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise kali.HTTPError(404)
        return [
            f"<h1>{escape(row['title'])}</h1>",
            f"<p>by {escape(row['author'])}, {row['pages']} pages</p>",
            '<p><a href="/">All books</a></p>',
        ]

    return app


if __name__ == "__main__":
    make_app().run()
