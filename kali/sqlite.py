"""The app's SQLite database: [`connect`][kali.sqlite.connect], the
[`guard`][kali.sqlite.guard] middleware, and [`transaction`][kali.sqlite.transaction].

```python
from pathlib import Path

import kali
from kali import sqlite

db = sqlite.connect(Path(__file__).parent / "app.sqlite3")
app = kali.App()
app.use(sqlite.guard(db))   # first, so it is the outermost middleware


@app.post("/task")
def add(request: kali.Request) -> kali.Response:
    with sqlite.transaction(db):
        db.execute("INSERT INTO task (title) VALUES (?)", (request.form["title"],))
    return kali.Response.redirect("/")
```

**When a transaction is open.** [`connect`][kali.sqlite.connect] keeps the `sqlite3`
module's legacy transaction control (the only one Python 3.11 has; 3.12 calls it
`LEGACY_TRANSACTION_CONTROL`): `sqlite3` issues `BEGIN` by itself before an `INSERT`,
`UPDATE`, `DELETE` or `REPLACE` when none is open, and the transaction stays open until
`db.commit()` or `db.rollback()`. `SELECT`, `CREATE`/`DROP`/`ALTER` and `PRAGMA` open
none (a `CREATE TABLE` outside a transaction is saved at once), nor does a statement
starting with `WITH`, even `WITH ... INSERT`: put those in a
[`transaction`][kali.sqlite.transaction]. `db.in_transaction` is `True` exactly
while one is open, and that is what the guard checks.

**The guard** turns the mistake the original kali's author found "really annoying" — a
handler that writes and forgets to commit, whose change looks saved until it vanishes
while the database stays locked for everyone else — into a clear error: after each
handler it rolls back what was left open and answers with a 500 page saying the change
was not saved. A handler that raises inside a transaction is rolled back too.

**One connection, one thread at a time.** kali's server calls one handler at a time, so
one connection shared by every request never sees two transactions interleave. The
connection is opened with `check_same_thread=False`, since the server may run in
another thread than the one that imported the app; the guard refuses a request while
another thread is inside it (a threaded WSGI server), rather than mix two requests'
changes in one transaction.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from .app import App
from .errors import HTTPError
from .live import Stream, Subscription
from .pipeline import report_exception
from .request import Request
from .response import Response
from .routing.endpoint import Endpoint
from .routing.errors import where
from .typing import Handler, ResponseValue

__all__ = [
    "ConcurrentUseError",
    "TransactionError",
    "TransactionGuard",
    "TransactionLeftOpen",
    "connect",
    "guard",
    "transaction",
]

log = logging.getLogger("kali.sqlite")

Mode = Literal["deferred", "immediate", "exclusive"]
"""How [`transaction`][kali.sqlite.transaction] begins: SQLite's `BEGIN DEFERRED`, `BEGIN IMMEDIATE`
or `BEGIN EXCLUSIVE`.
"""

_MODES = ("deferred", "immediate", "exclusive")
_NOT_SAVED = (
    "Your change was not saved: the page ended without finishing its database "
    "transaction, so the change was undone. This is a bug in the application."
)
_FIX = (
    "call db.commit() before returning (sqlite3 began a transaction at the first "
    "INSERT, UPDATE or DELETE), or put the writes in `with kali.sqlite.transaction(db):`"
)


def connect(
    path: str | os.PathLike[str],
    *,
    timeout: float = 5.0,
    foreign_keys: bool = True,
    journal_mode: str | None = "wal",
    isolation_level: Literal["DEFERRED", "IMMEDIATE", "EXCLUSIVE"] | None = "IMMEDIATE",
    detect_types: int = 0,
    check_same_thread: bool = False,
    uri: bool = False,
) -> sqlite3.Connection:
    """Open the app's database with the settings a kali app wants.

    The defaults, and why:

    - `foreign_keys=True`: `PRAGMA foreign_keys = ON`, so `REFERENCES` clauses are
      enforced (SQLite leaves them off for compatibility).
    - `journal_mode="wal"`: readers in other processes (the `sqlite3` shell, a backup)
      neither block nor are blocked by the app's writes, and a commit is one append.
      Not applied to `":memory:"` or `""` (a temporary database). If SQLite cannot
      switch (a read-only file, some network file systems) a warning is logged and
      the file keeps its mode. `None` leaves the mode as it is.
    - `timeout=5.0`: the busy timeout, in seconds. A statement that finds the file
      locked by another process waits this long before `sqlite3.OperationalError:
      database is locked`. The server serves nobody while it waits, so keep it short.
    - `isolation_level="IMMEDIATE"`: `sqlite3` begins a transaction by itself before
      the first `INSERT`/`UPDATE`/`DELETE`/`REPLACE` (see the module's notes), and it
      is `BEGIN IMMEDIATE`, which takes the write lock at once (what
      [`transaction`][kali.sqlite.transaction] does too). `"DEFERRED"` is `sqlite3`'s
      default; `None` turns the implicit transactions off (every statement is saved
      at once unless you `BEGIN`), which leaves the guard little to catch.
    - the rows are `sqlite3.Row`: `row["title"]` and `row[0]` both work, and
      [`Form.from_record(row)`][kali.formlets.Form.from_record] reads them.
    - `detect_types=0`: no conversion by declared type. Store dates as ISO text
      (`kali.formlets.Date` does) and convert where they are read; `sqlite3`'s
      default date converters are deprecated since Python 3.12 and fail a whole
      query on one malformed value.
    - `check_same_thread=False`: the connection may be used from the thread that
      serves (it is often not the one that opened it). This is safe because kali
      serves one request at a time, and the [`guard`][kali.sqlite.guard] refuses
      concurrent use.
    - `synchronous` is left at SQLite's `FULL`: a change the user was told is saved
      survives a power cut. Data entry is slow enough that the extra sync is free.

    Args:
        path: the database file, relative to the current directory as `sqlite3`
            resolves it; write `Path(__file__).parent / "app.sqlite3"` for a file next
            to the app's module. `":memory:"` for a private in-memory database.
        timeout: the busy timeout in seconds.
        foreign_keys: enforce foreign keys.
        journal_mode: the journal mode to set (`"wal"`, `"delete"`, ...), or `None`.
        isolation_level: as for `sqlite3.connect`; see above.
        detect_types: as for `sqlite3.connect`.
        check_same_thread: as for `sqlite3.connect`.
        uri: `path` is a `file:` URI (`"file:app.sqlite3?mode=ro"`).

    Returns:
        The open connection, with no transaction open.

    Raises:
        sqlite3.Error: the file cannot be opened or is not a database.
    """
    db = sqlite3.connect(
        path,
        timeout=timeout,
        detect_types=detect_types,
        isolation_level=isolation_level,
        check_same_thread=check_same_thread,
        uri=uri,
    )
    try:
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        name = os.fspath(path)
        if journal_mode is not None and name not in (":memory:", ""):
            mode = journal_mode.lower()
            if not mode.isalpha():
                raise ValueError(f"journal_mode must be a word such as 'wal', not {journal_mode!r}")
            try:
                (got,) = db.execute(f"PRAGMA journal_mode = {mode}").fetchone()
            except sqlite3.OperationalError as exc:  # a read-only file, say
                log.warning("%s: the journal mode stays as it is, not %r: %s", name, mode, exc)
            else:
                if str(got).lower() not in (mode, "memory"):
                    log.warning(
                        "%s: the journal mode stays %r, not %r (a file system without "
                        "shared memory?)",
                        name,
                        got,
                        mode,
                    )
    except BaseException:
        db.close()
        raise
    return db


# -- explicit transactions -------------------------------------------------------------

# Connections inside a `transaction` block, by id, with how deep they are. The connection
# is held while it is here, so its id cannot be reused; it leaves when the outer block ends.
_depth: dict[int, tuple[sqlite3.Connection, int]] = {}
_savepoints = itertools.count(1)


class TransactionError(sqlite3.ProgrammingError):
    """[`transaction`][kali.sqlite.transaction] was misused: it was entered while a
    transaction it did not begin was open, or the block ended the transaction itself."""


@contextmanager
def transaction(
    db: sqlite3.Connection, *, mode: Mode = "immediate"
) -> Iterator[sqlite3.Connection]:
    """A block whose changes are saved together or not at all.

        with transaction(db):
            db.execute("UPDATE account SET balance = balance - 10 WHERE id = 1")
            db.execute("UPDATE account SET balance = balance + 10 WHERE id = 2")

    The block begins a transaction, commits it when the block ends normally and rolls
    it back when the block raises (the exception goes on). A failed commit is rolled
    back and raised.

    A block inside another (a helper called from a block) is a savepoint: when it
    raises, its own changes are undone and the outer block decides about the rest;
    nothing is saved until the outermost block commits.

    Args:
        db: the connection.
        mode: `"immediate"` (the default) takes the write lock at the start, so
            a block that reads and then writes cannot fail half-way because another
            process wrote in between; it waits for the busy timeout instead.
            `"deferred"` takes it at the first write (fine for a block that only
            reads); `"exclusive"` also keeps other processes from reading (WAL ignores
            the difference).

    Yields:
        `db`, for `with transaction(db) as db:`.

    Raises:
        TransactionError: a transaction this function did not begin is already open
            (an `INSERT` before the block began one: commit it first, or move it into
            the block); or the block called `db.commit()` or `db.rollback()` itself.
        ValueError: `mode` is not one of the three.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be 'deferred', 'immediate' or 'exclusive', not {mode!r}")
    key = id(db)
    entry = _depth.get(key)
    if entry is not None:
        yield from _savepoint(db, key, entry[1])
        return
    if _is_open(db):
        raise TransactionError(
            "a transaction is already open on this connection, begun before the `with "
            "transaction(db)` block (sqlite3 begins one at an INSERT, UPDATE or DELETE): "
            "commit it first, or move those statements into the block"
        )
    db.execute(f"BEGIN {mode.upper()}")
    _depth[key] = (db, 1)
    try:
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
        if not db.in_transaction:
            raise TransactionError(
                "the transaction was ended inside its `with transaction(db)` block (by "
                "db.commit() or db.rollback()); let the block end it"
            )
        try:
            db.commit()
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
    finally:
        del _depth[key]


def _is_open(db: sqlite3.Connection) -> bool:
    # A function, so that mypy does not take the attribute as fixed by an earlier test.
    return db.in_transaction


def _savepoint(db: sqlite3.Connection, key: int, depth: int) -> Iterator[sqlite3.Connection]:
    name = f"kali_{next(_savepoints)}"
    db.execute(f"SAVEPOINT {name}")
    _depth[key] = (db, depth + 1)
    try:
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.execute(f"ROLLBACK TO {name}")
                db.execute(f"RELEASE {name}")
            raise
        if not db.in_transaction:
            raise TransactionError(
                "the transaction was ended inside a nested `with transaction(db)` block "
                "(by db.commit() or db.rollback()); let the outermost block end it"
            )
        db.execute(f"RELEASE {name}")
    finally:
        _depth[key] = (db, depth)


# -- the guard -----------------------------------------------------------------------


class TransactionLeftOpen(HTTPError):
    """A handler returned with a transaction open; the guard rolled it back.

    A 500 [`HTTPError`][kali.HTTPError], so the app's `@app.error(500)` page renders it
    (in its layout); its `message` tells the user the change was not saved, and, when
    the app is in debug mode, which handler and how to fix it. `str(error)` always
    names the handler, the route and the fix: it is what the log shows, and what a
    test sees when the [`TestClient`][kali.testing.TestClient] re-raises it.
    """

    def __init__(self, description: str, *, handler: str, route: str, debug: bool) -> None:
        message = _NOT_SAVED
        if debug:
            message += f" The handler {handler} for {route} left it open. Fix: {_FIX}."
        super().__init__(500, message)
        self.handler = handler
        """The handler that left the transaction open, `"name (file.py:12)"`."""
        self.route = route
        """The request and its route, `"POST /task/3 (route /task/<int:id>)"`."""
        self.description = description
        """What went wrong and the fix, for the log: `str(error)`."""

    def __str__(self) -> str:
        return self.description


class ConcurrentUseError(RuntimeError):
    """Two threads entered the guard at once: the app is served by a threaded server.

    One `sqlite3` connection holds one transaction at a time, so two requests served at
    once would mix their changes. Serve the app with kali's own server, or a WSGI server
    with a single thread (`waitress.serve(app, threads=1)`).
    """


class TransactionGuard:
    """The middleware [`guard`][kali.sqlite.guard] returns: `app.use(guard(db))`.

    Args:
        db: the connection the handlers use.

    Raises:
        TypeError: `db` is not a `sqlite3.Connection`.
        ValueError: `db` was opened with `autocommit=False` (Python 3.12+), which keeps
            a transaction open at all times, so an open one means nothing.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        if not isinstance(db, sqlite3.Connection):
            raise TypeError(f"kali.sqlite.guard() takes a sqlite3.Connection, not {db!r}")
        if getattr(db, "autocommit", None) is False:
            raise ValueError(
                "kali.sqlite.guard() cannot check a connection opened with autocommit=False "
                "(a transaction is always open on it): open it with kali.sqlite.connect()"
            )
        self.db = db
        """The guarded connection."""
        self._busy = threading.RLock()

    def __call__(self, handler: Handler) -> Handler:
        """Wrap `handler` (the app's handler, or the next middleware)."""
        db = self.db
        busy = self._busy
        check = self.check

        def guarded(request: Request) -> ResponseValue:
            if not busy.acquire(blocking=False):
                raise ConcurrentUseError(
                    f"{request.method} {request.path}: another thread is serving a request "
                    "with the same database connection. kali.sqlite needs one request at a "
                    "time: serve the app with kali's own server (app.run()) or a WSGI server "
                    "with a single thread (waitress: threads=1)"
                )
            try:
                _ = request.state  # made now, so a mounted copy of the request shares it
                if db.in_transaction:
                    self._left_before(request)
                try:
                    value = handler(request)
                except BaseException as exc:
                    if db.in_transaction:
                        self._roll_back_raised(request, handler, exc)
                    raise
                if db.in_transaction:
                    check(request, handler)
                return self._check_steps(value, request, handler)
            finally:
                busy.release()

        return guarded

    def _check_steps(
        self, value: ResponseValue, request: Request, handler: Handler
    ) -> ResponseValue:
        # A body sent step by step runs after the handler returned: check after each step.
        if isinstance(value, Response):
            stream = value.body if isinstance(value.body, Stream) else None
        elif isinstance(value, Stream):
            stream = value
        elif isinstance(value, Iterator) and not isinstance(value, (str, bytes, list, tuple)):
            stream = value = Stream(value)
        else:
            stream = None
        if stream is not None and not isinstance(stream, Subscription):
            stream.after_each_step(lambda: self.check(request, handler))
        return value

    def check(self, request: Request, handler: Handler | None = None) -> None:
        """Raise [`TransactionLeftOpen`][kali.sqlite.TransactionLeftOpen] if a
        transaction is open, after rolling it back and logging it.

        The guard calls it when the handler returns. A body produced step by step
        (streaming) will be checked after each step through this same function.

        Args:
            request: the request being answered (it names the route).
            handler: what the guard wrapped, named when the request does not say
                which route answered.
        """
        db = self.db
        if not db.in_transaction:
            return
        db.rollback()
        name, route = _describe(request, handler)
        description = (
            f"{route}: the handler {name} returned with a database transaction open (it, "
            "or a middleware added after the guard, wrote without committing); "
            f"kali.sqlite.guard rolled it back, so the changes were not saved. Fix: {_FIX}"
        )
        error = TransactionLeftOpen(description, handler=name, route=route, debug=_debug(request))
        report_exception(request, error)
        raise error

    def _roll_back_raised(self, request: Request, handler: Handler, exc: BaseException) -> None:
        name, route = _describe(request, handler)
        try:
            self.db.rollback()
        except Exception:
            log.exception("%s: could not roll back after %s raised", route, name)
            return
        log.warning(
            "%s: rolled back the transaction the handler %s left open when it raised %s",
            route,
            name,
            type(exc).__name__,
        )

    def _left_before(self, request: Request) -> None:
        self.db.rollback()
        log.error(
            "%s %s: a transaction was already open when the request reached "
            "kali.sqlite.guard; it was rolled back. It was left by code that runs outside "
            "the guard (start-up code, or a middleware added before the guard): commit it "
            "there",
            request.method,
            request.path,
        )

    def __repr__(self) -> str:
        return f"<TransactionGuard {self.db!r}>"


def guard(db: sqlite3.Connection) -> TransactionGuard:
    """A middleware that makes sure no handler leaves a transaction open on `db`.

        app.use(kali.sqlite.guard(db))

    Around every request:

    - a handler that returns with a transaction open (it wrote and did not commit) has
      it rolled back; the rollback is logged naming the handler and the route, and the
      request is answered with [`TransactionLeftOpen`][kali.sqlite.TransactionLeftOpen],
      a 500 page saying the change was not saved (in debug mode also which handler and
      the fix);
    - a handler that raises with a transaction open (an
      [`HTTPError`][kali.HTTPError] included) has it rolled back, and the exception goes
      on unchanged, so the app's error pages still render it;
    - a transaction found open before the handler runs (left by start-up code) is
      rolled back and logged, so it is not blamed on the handler;
    - a second thread entering while a request is being served raises
      [`ConcurrentUseError`][kali.sqlite.ConcurrentUseError].

    Add it first (outermost), so it also checks what the other middleware do with the
    database. Nothing half-written survives a failed request, and the file is never left
    locked for the next request or for another process.

    Args:
        db: the connection the handlers use.

    Returns:
        The middleware, a [`TransactionGuard`][kali.sqlite.TransactionGuard].
    """
    return TransactionGuard(db)


def _describe(request: Request, handler: Handler | None) -> tuple[str, str]:
    """The handler's name and the route, for messages: from the endpoint the app
    recorded on the request, else from what the guard wrapped."""
    endpoint = request.state.get("kali.endpoint")
    route = f"{request.method} {request.path}"
    if isinstance(endpoint, Endpoint):
        found = endpoint.handler
        if endpoint.is_mount:  # an app mounted without middleware of its own records nothing
            label = where(found) if inspect.isroutine(found) else type(found).__qualname__
            return f"{label} mounted at {endpoint.pattern}", route
        if endpoint.pattern != request.path:
            route += f" (route {endpoint.pattern})"
        return where(found), route
    return (where(handler) if handler is not None else "(unknown)"), route


def _debug(request: Request) -> bool:
    app = request.state.get("kali.app")
    return isinstance(app, App) and app.debug
