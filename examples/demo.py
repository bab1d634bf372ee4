"""The kali demo: a small notes program backed by SQLite.

Run ``python examples/demo.py`` (or the README's demo command). It shows the
pieces working together: an App with typed routes, templates compiled once
into functions returning iolists, one SQLite connection used from every
handler (safe: handlers run one at a time on the main thread), a form that
posts and redirects, static CSS and JavaScript, and a Quit button that stops
the server. It opens in a window of its own (Chrome, Chromium, Edge or Brave in
app mode, where one is installed), runs once per notes file, and ends when its
last window closes.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import kali
from kali.desktop import user_data_dir
from kali.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
MAX_LENGTH = 1000
"""The longest note, in characters."""


@dataclass(frozen=True)
class Note:
    id: int
    text: str
    delete_url: str


def make_app(database: str = ":memory:") -> kali.App:
    """Build the notes app on the SQLite file ``database``."""
    db = sqlite3.connect(database)
    db.execute("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    db.commit()
    pages = kali.TemplateFolder(HERE / "templates")
    app = kali.App()
    app.mount("/static", StaticFiles(HERE / "static"))

    def notes_page(text: str = "", error: str = "") -> kali.IoList:
        rows = db.execute("SELECT id, text FROM note ORDER BY id DESC").fetchall()
        notes = [Note(id, text, app.url_for(delete, id=id)) for id, text in rows]
        return pages("notes")(
            notes=notes,
            add_url=app.url_for(add),
            quit_url=app.url_for(quit_program),
            text=text,
            error=error,
            max_length=MAX_LENGTH,
        )

    @app.get("/")
    def index(request: kali.Request) -> kali.IoList:
        return notes_page()

    @app.post("/")
    def add(request: kali.Request) -> kali.Response:
        text = request.form.get("text", "")
        # What the browser's own checks let through comes back with a message, kept.
        if not text.strip():
            return kali.Response(notes_page(text, "A note needs some text."), 422)
        if len(text) > MAX_LENGTH:
            problem = f"A note holds at most {MAX_LENGTH} characters."
            return kali.Response(notes_page(text, problem), 422)
        db.execute("INSERT INTO note (text) VALUES (?)", (text.strip(),))
        db.commit()
        return kali.Response.redirect(app.url_for(index))

    @app.post("/note/<int:id>/delete")
    def delete(request: kali.Request, id: int) -> kali.Response:
        db.execute("DELETE FROM note WHERE id = ?", (id,))
        db.commit()
        return kali.Response.redirect(app.url_for(index))

    @app.post("/quit")
    def quit_program(request: kali.Request) -> kali.Response:
        db.close()
        # Self-contained: once this is sent the server is gone, so no stylesheet.
        return kali.Response(pages("bye")(), shut_down=True)

    return app


def default_database() -> str:
    """``notes.sqlite3`` here, or in the user's data folder for the shipped program
    (built with PyInstaller: ``docs/desktop.md``), which may be started from anywhere."""
    if not getattr(sys, "frozen", False):
        return "notes.sqlite3"
    folder = user_data_dir("kali-notes")
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / "notes.sqlite3")


def main() -> None:
    parser = argparse.ArgumentParser(description="The kali notes demo.")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--db", default=default_database(), help="SQLite file (notes.sqlite3)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a window")
    args = parser.parse_args()
    # One program per notes file: a second launch shows the window of the first.
    app_id = None if args.db == ":memory:" else f"kali-notes:{Path(args.db).resolve()}"
    make_app(args.db).run(
        port=args.port, open_browser=not args.no_browser, window=True, app_id=app_id
    )


if __name__ == "__main__":
    main()
