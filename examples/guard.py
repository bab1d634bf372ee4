"""The transaction guard: a forgotten commit caught, a failure rolled back, and the right way.

Run it from the repository's root, in a Python environment where kali is installed
(`pip install -e .`). The command is the same on Linux, macOS and Windows (in an
activated virtual environment `python` is that environment's Python everywhere):

    python examples/guard.py

It prints its address and opens a browser. `--port 0` picks a free port, `--no-browser`
opens none, `--db PATH` chooses the SQLite file (`examples/guard.sqlite3` by default),
`--debug` makes the error pages name the handler at fault, and `--no-guard` runs without
the guard, to see the mistake it catches. Ctrl-C stops it.

Three jars hold 120 coins between them. One form moves coins from a jar to another, and
three buttons send it to three handlers:

- **Move, in a transaction**: `with kali.sqlite.transaction(db):` takes the coins from
  one jar and puts them in the other; both are saved when the block ends, or neither if
  it raises. Moving more coins than a jar holds breaks the table's
  `CHECK (coins >= 0)`, the block rolls back, and the form comes back with a message.
- **Move, but forget to commit**: the handler writes and returns without `db.commit()`.
  `sqlite3` began a transaction at the first `UPDATE`, so the change would look saved to
  this program while every other program sees the old coins and a locked database, until
  it vanishes. `kali.sqlite.guard(db)` rolls it back and answers with a 500 page saying
  the change was not saved (and, with `--debug`, which handler forgot).
- **Move, but fail half-way**: a typo in the second `UPDATE` raises after the first one
  ran. The guard rolls back the first, so no coins disappear.

The page reads the jars again through a second connection, as another program would:
with the guard the total is always 120 and the file is never left locked. Run with
`--no-guard` and press the second button to see both go wrong.
"""

from __future__ import annotations

import argparse
import enum
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import kali
from kali import flash_messages, formlets, sqlite
from kali.staticfiles import StaticFiles

HERE = Path(__file__).resolve().parent
FILES = HERE / "guard"
DATABASE = HERE / "guard.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS jar (
    id TEXT PRIMARY KEY,
    coins INTEGER NOT NULL CHECK (coins >= 0)
);
CREATE TABLE IF NOT EXISTS move (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL REFERENCES jar (id),
    target TEXT NOT NULL REFERENCES jar (id),
    coins INTEGER NOT NULL
);
"""


class Jar(enum.Enum):
    """The jars; the value is the jar's key in the database."""

    SAVINGS = "savings"
    HOLIDAY = "holiday"
    RAINY_DAY = "rainy-day"

    @property
    def label(self) -> str:
        """The jar's name for people (the formlet's choices use it too)."""
        return self.name.replace("_", " ").capitalize()


FIRST_FILL = {Jar.SAVINGS: 100, Jar.HOLIDAY: 20, Jar.RAINY_DAY: 0}


class Move(formlets.Form):
    """Move some coins from one jar to another."""

    source = formlets.Choice(Jar, label="From")
    target = formlets.Choice(Jar, label="To")
    coins = formlets.Integer(minimum=1, maximum=1000)

    def check(self, values: Mapping[str, object]) -> Mapping[str, str] | None:
        if self.source.value is self.target.value:
            return {"target": "Choose another jar than the one the coins come from."}
        return None


@dataclass(frozen=True)
class JarRow:
    label: str
    coins: int


@dataclass(frozen=True)
class MoveRow:
    source: str
    target: str
    coins: int


@dataclass(frozen=True)
class OtherProgram:
    """What a second connection to the file sees: the total, and whether it may write."""

    total: int
    locked: bool


def look_as_another_program(path: str | os.PathLike[str]) -> OtherProgram | None:
    """Open the file a second time, as another program would (`None` for `:memory:`)."""
    if os.fspath(path) == ":memory:":
        return None
    other = sqlite3.connect(path, timeout=0)  # do not wait if the file is locked
    try:
        (total,) = other.execute("SELECT total(coins) FROM jar").fetchone()
        try:
            other.execute("BEGIN IMMEDIATE")  # asks for the write lock
            other.rollback()
            locked = False
        except sqlite3.OperationalError:  # "database is locked"
            locked = True
        return OtherProgram(int(total), locked)
    finally:
        other.close()


def open_database(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open the file (`kali.sqlite.connect`), make the tables, fill the jars once."""
    db = sqlite.connect(path)
    db.executescript(SCHEMA)
    with sqlite.transaction(db):
        db.executemany(
            "INSERT OR IGNORE INTO jar (id, coins) VALUES (?, ?)",
            [(jar.value, coins) for jar, coins in FIRST_FILL.items()],
        )
    return db


def make_app(database: str | os.PathLike[str] = DATABASE, *, guard: bool = True) -> kali.App:
    """The coin jars on the SQLite file `database`; `guard=False` leaves the guard out."""
    db = open_database(database)
    pages = kali.TemplateFolder(FILES / "templates")
    app = kali.App()
    if guard:
        app.use(sqlite.guard(db))  # first: it checks everything the others do
    app.use(flash_messages.middleware)
    app.mount("/static", StaticFiles(FILES / "static"))

    def page(request: kali.Request, form: Move) -> kali.IoList:
        jars = [
            JarRow(Jar(row["id"]).label, row["coins"])
            for row in db.execute("SELECT id, coins FROM jar ORDER BY rowid")
        ]
        moves = [
            MoveRow(Jar(row["source"]).label, Jar(row["target"]).label, row["coins"])
            for row in db.execute("SELECT source, target, coins FROM move ORDER BY id DESC")
        ]
        return pages("jars")(
            jars=jars,
            total=sum(jar.coins for jar in jars),
            moves=moves,
            other_program=look_as_another_program(database),
            form=form,
            move_url=app.url_for(move),
            forgetful_url=app.url_for(move_forgetting_commit),
            failing_url=app.url_for(move_failing_half_way),
            flashes=flash_messages.render(flash_messages.messages(request)),
        )

    def take(form: Move) -> None:
        db.execute(
            "UPDATE jar SET coins = coins - ? WHERE id = ?",
            (form.coins.value, form.source.value.value),
        )

    def give(form: Move) -> None:
        db.execute(
            "UPDATE jar SET coins = coins + ? WHERE id = ?",
            (form.coins.value, form.target.value.value),
        )
        db.execute(
            "INSERT INTO move (source, target, coins) VALUES (?, ?, ?)",
            (form.source.value.value, form.target.value.value, form.coins.value),
        )

    def moved(request: kali.Request, form: Move) -> str:
        kali.flash(
            request,
            f"Moved {form.coins.value} coin{'' if form.coins.value == 1 else 's'} from "
            f"{form.source.value.label} "
            f"to {form.target.value.label}.",
            "success",
        )
        return app.url_for(jars)

    @app.get("/")
    def jars(request: kali.Request) -> kali.IoList:
        return page(request, Move())

    @app.post("/move")
    def move(request: kali.Request) -> kali.Response:
        """The right way: both changes in one `transaction` block."""

        def save(form: Move) -> str | None:
            try:
                with sqlite.transaction(db):
                    take(form)  # fails the CHECK when the jar has too few coins
                    give(form)
            except sqlite3.IntegrityError:  # the block rolled back: nothing was saved
                form.add_error("coins", f"{form.source.value.label} has fewer coins than that.")
                return None
            return moved(request, form)

        return formlets.submit(Move(request.form), save=save, page=lambda f: page(request, f))

    @app.post("/move/forgetting-commit")
    def move_forgetting_commit(request: kali.Request) -> kali.Response:
        """A bug: the handler writes and never commits."""

        def save(form: Move) -> str:
            take(form)  # sqlite3 begins a transaction here...
            give(form)
            return moved(request, form)  # ...and nothing commits it; "Moved" is never shown

        return formlets.submit(Move(request.form), save=save, page=lambda f: page(request, f))

    @app.post("/move/failing-half-way")
    def move_failing_half_way(request: kali.Request) -> kali.Response:
        """A bug: the second statement fails after the first one ran."""

        def save(form: Move) -> str:
            take(form)
            db.execute(  # a typo: the column is `coins`, so this raises OperationalError
                "UPDATE jar SET coin = coin + ? WHERE id = ?",
                (form.coins.value, form.target.value.value),
            )
            return moved(request, form)

        return formlets.submit(Move(request.form), save=save, page=lambda f: page(request, f))

    @app.error(404)
    def not_found(request: kali.Request, error: kali.HTTPError) -> kali.IoList:
        return pages("error")(
            status=404,
            heading="Not found",
            message=f"There is no page at {request.path}.",
            flashes=[],
        )

    @app.error(500)
    def failed(request: kali.Request, error: Exception) -> kali.IoList:
        if isinstance(error, sqlite.TransactionLeftOpen):
            heading, message = "The change was undone", error.message
        else:
            heading = "Something went wrong"
            message = (
                "The page failed before it finished. Its database transaction was rolled "
                "back, so nothing of the change was saved."
            )
            if app.debug:
                message += f" ({type(error).__name__}: {error})"
        return pages("error")(status=500, heading=heading, message=message, flashes=[])

    return app


def main() -> None:
    """Serve the jars: `--port`, `--no-browser`, `--db`, `--debug`, `--no-guard`."""
    parser = argparse.ArgumentParser(description="The SQLite transaction guard, shown.")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--db", default=str(DATABASE), help="the SQLite file")
    parser.add_argument("--debug", action="store_true", help="name the failing handler")
    parser.add_argument("--no-guard", action="store_true", help="leave the guard out")
    args = parser.parse_args()
    app = make_app(args.db, guard=not args.no_guard)
    app.run(port=args.port, open_browser=not args.no_browser, debug=args.debug)


if __name__ == "__main__":
    main()
