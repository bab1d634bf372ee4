"""Misuse of kali.sqlite and flash messages that mypy --strict reports."""

from __future__ import annotations

import kali
from kali import sqlite

db = sqlite.connect("app.sqlite3", isolation_level="SERIALIZABLE")  # E: incompatible type
app = kali.App()
app.use(sqlite.guard("app.sqlite3"))  # E: incompatible type "str"
sqlite.transaction(db, mode="later")  # E: incompatible type "Literal['later']"


@app.post("/")
def save(request: kali.Request) -> str:
    kali.flash(request, 42)  # E: incompatible type "int"
    return "ok"
