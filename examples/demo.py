"""The kali demo: a small notes program backed by SQLite.

Run ``python examples/demo.py`` (or the README's demo command). It shows the
pieces working together: one SQLite connection used from the handler (safe,
since handlers run one at a time on the main thread), a form that posts and
redirects, static CSS and JavaScript, and iolist bodies.
"""

from __future__ import annotations

import argparse
import sqlite3
from html import escape
from pathlib import Path

import kali
from kali.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent


class Notes:
    """The application: a handler object holding its database connection."""

    def __init__(self, database: str = ":memory:") -> None:
        self.db = sqlite3.connect(database)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"
        )
        self.db.commit()
        self.static = StaticFiles(HERE / "static")

    def __call__(self, request: kali.Request) -> kali.ResponseValue:
        path = request.path
        if path == "/":
            if request.method == "POST":
                return self.add(request)
            return self.index()
        if path.startswith("/static/"):
            return self.static(request.mounted("/static"))
        if path.startswith("/delete/") and request.method == "POST":
            return self.delete(path.removeprefix("/delete/"))
        raise kali.HTTPError(404)

    def index(self) -> kali.ResponseValue:
        rows = self.db.execute("SELECT id, text FROM note ORDER BY id DESC").fetchall()
        items: kali.IoList = [
            [
                '<li><span class="text">',
                escape(text),
                f'</span><form method="post" action="/delete/{note_id}">'
                '<button title="Delete">&times;</button></form></li>\n',
            ]
            for note_id, text in rows
        ]
        return [
            "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            "<title>kali notes</title>"
            '<link rel="stylesheet" href="/static/style.css">'
            '<script src="/static/app.js" defer></script></head>\n<body>\n'
            "<h1>Notes</h1>\n"
            '<form method="post" action="/" id="add">'
            '<input name="text" placeholder="Write a note…" autofocus required>'
            "<button>Add</button></form>\n",
            ['<ul id="notes">\n', items, "</ul>\n"]
            if rows
            else '<p class="empty">No notes yet.</p>\n',
            '<p class="count"></p>\n</body></html>\n',
        ]

    def add(self, request: kali.Request) -> kali.Response:
        text = request.form.get("text", "").strip()
        if not text:
            raise kali.HTTPError(400, "A note needs some text")
        self.db.execute("INSERT INTO note (text) VALUES (?)", (text,))
        self.db.commit()
        return kali.Response.redirect("/")

    def delete(self, note_id: str) -> kali.Response:
        if not note_id.isdigit():
            raise kali.HTTPError(404)
        self.db.execute("DELETE FROM note WHERE id = ?", (int(note_id),))
        self.db.commit()
        return kali.Response.redirect("/")


def main() -> None:
    parser = argparse.ArgumentParser(description="The kali notes demo.")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--db", default="notes.sqlite3", help="SQLite file (default notes.sqlite3)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args()
    kali.serve_http(Notes(args.db), port=args.port, open_browser=not args.no_browser)


if __name__ == "__main__":
    main()
