"""Correct use of kali.sqlite and flash messages: must pass mypy --strict."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import assert_type

import kali
from kali import flash_messages, sqlite
from kali.templating import Rendered

db = sqlite.connect(Path(__file__).parent / "app.sqlite3", isolation_level="DEFERRED")
assert_type(db, sqlite3.Connection)
app = kali.App()
app.use(sqlite.guard(db))
app.use(flash_messages.middleware)


@app.post("/task")
def add(request: kali.Request, title: str) -> kali.Response:
    with sqlite.transaction(db, mode="immediate") as same:
        assert_type(same, sqlite3.Connection)
        same.execute("INSERT INTO task (title) VALUES (?)", (title,))
    kali.flash(request, "Added.", "success")
    return kali.Response.redirect("/", 303)


@app.get("/")
def index(request: kali.Request) -> Rendered:
    found = flash_messages.messages(request)
    assert_type(found, list[flash_messages.Message])
    assert_type(found[0].text, str)
    return flash_messages.render(found)
