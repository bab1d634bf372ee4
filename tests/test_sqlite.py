"""kali.sqlite: connect's defaults, transaction(), and the guard, against a real database
file that a second connection reads and writes as another program would."""

from __future__ import annotations

import http.client
import logging
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import kali
from kali import sqlite
from kali.sqlite import TransactionError, TransactionLeftOpen, transaction
from kali.testing import TestClient

from .conftest import ServerFactory

# -- fixtures -------------------------------------------------------------------------


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "app.sqlite3"
    setup = sqlite3.connect(file)
    setup.executescript(
        """
        CREATE TABLE task (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
        CREATE TABLE note (id INTEGER PRIMARY KEY,
                           task INTEGER NOT NULL REFERENCES task(id), text TEXT);
        """
    )
    setup.close()
    return file


@pytest.fixture
def db(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def other(path: Path) -> Iterator[sqlite3.Connection]:
    """Another program's connection to the same file; it never waits for a lock."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    yield connection
    connection.close()


def titles(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute("SELECT title FROM task ORDER BY id")]


def is_open(connection: sqlite3.Connection) -> bool:
    """`connection.in_transaction`, read afresh (mypy would take it as fixed)."""
    return connection.in_transaction


def can_write(connection: sqlite3.Connection) -> bool:
    """Whether `connection` can write at once (the file is not locked by the app)."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    connection.execute("ROLLBACK")
    return True


# -- connect ------------------------------------------------------------------------


def test_connect_defaults(db: sqlite3.Connection) -> None:
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.isolation_level == "IMMEDIATE"
    assert not db.in_transaction
    db.execute("INSERT INTO task (title) VALUES ('pen')")
    row = db.execute("SELECT id, title FROM task").fetchone()
    assert isinstance(row, sqlite3.Row)
    assert row["title"] == row[1] == "pen"
    db.rollback()


def test_foreign_keys_are_enforced(db: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO note (task, text) VALUES (99, 'orphan')")
    db.rollback()


def test_when_a_transaction_is_open(db: sqlite3.Connection, other: sqlite3.Connection) -> None:
    """What the module docstring promises about sqlite3's implicit transactions."""
    db.execute("SELECT * FROM task").fetchall()
    assert not is_open(db)
    db.execute("CREATE TABLE extra (x)")  # saved at once
    assert not is_open(db)
    assert other.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchone()
    db.execute("WITH t(x) AS (VALUES ('cte')) INSERT INTO task (title) SELECT x FROM t")
    assert not is_open(db)  # a statement starting with WITH opens none
    assert titles(other) == ["cte"]
    db.execute("UPDATE task SET title = 'pen'")
    assert is_open(db)
    assert titles(other) == ["cte"]  # not visible until committed
    assert not can_write(other)  # and the app holds the write lock
    db.commit()
    assert not is_open(db)
    assert titles(other) == ["pen"]


def test_memory_database_and_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = sqlite.connect(":memory:")
    assert memory.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    memory.close()
    monkeypatch.chdir(tmp_path)
    relative = sqlite.connect("here.sqlite3")  # relative to the current directory
    relative.close()
    assert (tmp_path / "here.sqlite3").exists()


def test_journal_mode_none_and_other_modes(path: Path) -> None:
    plain = sqlite3.connect(path)
    plain.execute("PRAGMA journal_mode = delete")
    plain.close()
    kept = sqlite.connect(path, journal_mode=None)
    assert kept.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    kept.close()
    with pytest.raises(ValueError, match="journal_mode"):
        sqlite.connect(path, journal_mode="wal; DROP TABLE task")


def test_a_read_only_file_keeps_its_mode_with_a_warning(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plain = sqlite3.connect(path)
    plain.execute("PRAGMA journal_mode = delete")
    plain.close()
    with caplog.at_level(logging.WARNING, logger="kali.sqlite"):
        read_only = sqlite.connect(f"file:{path}?mode=ro", uri=True)
    assert read_only.execute("SELECT count(*) FROM task").fetchone()[0] == 0
    read_only.close()
    assert "the journal mode stays as it is, not 'wal'" in caplog.text


# -- transaction ---------------------------------------------------------------------


def test_transaction_commits(db: sqlite3.Connection, other: sqlite3.Connection) -> None:
    with transaction(db) as same:
        assert same is db
        db.execute("INSERT INTO task (title) VALUES ('a')")
        db.execute("INSERT INTO task (title) VALUES ('b')")
        assert titles(other) == []
    assert not db.in_transaction
    assert titles(other) == ["a", "b"]
    assert can_write(other)


def test_transaction_rolls_back_on_error(db: sqlite3.Connection, other: sqlite3.Connection) -> None:
    with pytest.raises(ZeroDivisionError), transaction(db):
        db.execute("INSERT INTO task (title) VALUES ('a')")
        1 / 0  # noqa: B018
    assert not db.in_transaction
    assert titles(other) == []
    assert can_write(other)


def test_immediate_takes_the_write_lock_at_once(
    db: sqlite3.Connection, other: sqlite3.Connection
) -> None:
    with transaction(db):
        assert not can_write(other)
    with transaction(db, mode="deferred"):
        db.execute("SELECT * FROM task").fetchall()
        assert can_write(other)
    with pytest.raises(ValueError, match="mode"), transaction(db, mode="eventually"):  # type: ignore[arg-type]
        pass


def test_nested_blocks_are_savepoints(db: sqlite3.Connection, other: sqlite3.Connection) -> None:
    with transaction(db):
        db.execute("INSERT INTO task (title) VALUES ('outer')")
        with pytest.raises(KeyError), transaction(db):
            db.execute("INSERT INTO task (title) VALUES ('undone')")
            raise KeyError("x")
        with transaction(db):
            db.execute("INSERT INTO task (title) VALUES ('inner')")
        assert titles(other) == []  # nothing is saved before the outer block ends
        assert db.in_transaction
    assert titles(other) == ["outer", "inner"]


def test_transaction_refuses_one_it_did_not_begin(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO task (title) VALUES ('before')")
    with pytest.raises(TransactionError, match="commit it first"), transaction(db):
        pass
    assert db.in_transaction  # left as it was, for its owner to end
    db.rollback()


def test_ending_it_inside_the_block_is_an_error(
    db: sqlite3.Connection, other: sqlite3.Connection
) -> None:
    with pytest.raises(TransactionError, match="ended inside"), transaction(db):
        db.execute("INSERT INTO task (title) VALUES ('a')")
        db.commit()
    with pytest.raises(TransactionError, match="nested"), transaction(db), transaction(db):
        db.rollback()
    assert not db.in_transaction
    with transaction(db):  # and it still works afterwards
        db.execute("INSERT INTO task (title) VALUES ('b')")
    assert titles(other) == ["a", "b"]


def test_a_failed_commit_is_rolled_back(db: sqlite3.Connection, other: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE later (task INTEGER REFERENCES task(id) DEFERRABLE INITIALLY DEFERRED)"
    )
    with pytest.raises(sqlite3.IntegrityError), transaction(db):
        db.execute("INSERT INTO task (title) VALUES ('a')")
        db.execute("INSERT INTO later VALUES (42)")  # checked at COMMIT
    assert not db.in_transaction
    assert titles(other) == []
    assert can_write(other)


# -- the guard -----------------------------------------------------------------------


def make_app(db: sqlite3.Connection, *, debug: bool = False) -> kali.App:
    app = kali.App(debug=debug)
    app.use(sqlite.guard(db))

    @app.get("/")
    def index(request: kali.Request) -> str:
        return ",".join(row["title"] for row in db.execute("SELECT title FROM task ORDER BY id"))

    @app.post("/good")
    def good(request: kali.Request, title: str) -> kali.Response:
        with transaction(db):
            db.execute("INSERT INTO task (title) VALUES (?)", (title,))
        return kali.Response.redirect("/", 303)

    @app.post("/task/<int:id>/forgot")
    def forgot_to_commit(request: kali.Request, id: int) -> kali.Response:
        db.execute("INSERT INTO task (title) VALUES ('first half')")
        db.execute("INSERT INTO task (title) VALUES ('second half')")
        return kali.Response.redirect("/", 303)

    @app.post("/raises")
    def raises(request: kali.Request) -> str:
        db.execute("INSERT INTO task (title) VALUES ('first half')")
        raise ValueError("halfway")

    @app.post("/refuses")
    def refuses(request: kali.Request) -> str:
        db.execute("INSERT INTO task (title) VALUES ('first half')")
        raise kali.HTTPError(409, "Someone else changed it.")

    @app.post("/commits-then-forgets")
    def commits_then_forgets(request: kali.Request) -> str:
        db.execute("INSERT INTO task (title) VALUES ('saved')")
        db.commit()
        db.execute("INSERT INTO task (title) VALUES ('lost')")
        return "done"

    return app


def test_a_good_handler_is_left_alone(db: sqlite3.Connection, other: sqlite3.Connection) -> None:
    client = TestClient(make_app(db))
    assert client.post("/good", data={"title": "pen"}).status == 303
    assert titles(other) == ["pen"]
    assert client.get("/").text == "pen"


def test_a_forgotten_commit_is_rolled_back_and_answered_with_a_500(
    db: sqlite3.Connection, other: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(make_app(db), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="kali"):
        response = client.post("/task/3/forgot")
    assert response.status == 500
    assert "Your change was not saved" in response.text
    assert "forgot_to_commit" not in response.text  # the handler is named in debug only
    # Nothing half-written, the file is not locked, the next request works.
    assert titles(other) == []
    assert can_write(other)
    assert not db.in_transaction
    assert client.post("/good", data={"title": "pen"}).status == 303
    assert titles(other) == ["pen"]
    # The log names the handler (file:line) and the route.
    assert ".forgot_to_commit (" in caplog.text and "test_sqlite.py:" in caplog.text
    assert "POST /task/3/forgot (route /task/<int:id>/forgot)" in caplog.text
    assert "db.commit()" in caplog.text


def test_in_debug_the_page_names_the_handler_and_the_fix(db: sqlite3.Connection) -> None:
    client = TestClient(make_app(db, debug=True), raise_server_exceptions=False)
    page = client.post("/task/3/forgot").text
    assert "Your change was not saved" in page
    assert "forgot_to_commit (" in page
    assert "db.commit()" in page and "kali.sqlite.transaction(db)" in page


def test_a_test_sees_the_forgotten_commit_as_an_error(db: sqlite3.Connection) -> None:
    client = TestClient(make_app(db))
    with pytest.raises(TransactionLeftOpen) as caught:
        client.post("/task/3/forgot")
    assert caught.value.status == 500
    assert caught.value.handler.startswith("make_app.<locals>.forgot_to_commit (")
    assert caught.value.route == "POST /task/3/forgot (route /task/<int:id>/forgot)"
    assert "commit" in str(caught.value)


def test_only_what_was_not_committed_is_undone(
    db: sqlite3.Connection, other: sqlite3.Connection
) -> None:
    client = TestClient(make_app(db), raise_server_exceptions=False)
    assert client.post("/commits-then-forgets").status == 500
    assert titles(other) == ["saved"]
    assert can_write(other)


def test_a_raise_inside_a_transaction_is_rolled_back_and_goes_on(
    db: sqlite3.Connection, other: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(make_app(db))
    with (
        caplog.at_level(logging.WARNING, logger="kali.sqlite"),
        pytest.raises(ValueError, match="halfway"),  # the handler's own exception
    ):
        client.post("/raises")
    assert titles(other) == []
    assert can_write(other)
    assert "raises (" in caplog.text and "ValueError" in caplog.text
    quiet = TestClient(make_app(db), raise_server_exceptions=False)
    assert quiet.post("/raises").status == 500
    assert quiet.post("/good", data={"title": "next"}).status == 303
    assert titles(other) == ["next"]


def test_an_http_error_inside_a_transaction_keeps_its_page(
    db: sqlite3.Connection, other: sqlite3.Connection
) -> None:
    app = make_app(db)
    seen: list[kali.HTTPError] = []

    @app.error(409)
    def conflict(request: kali.Request, error: kali.HTTPError) -> str:
        seen.append(error)
        return f"<main>{error.message}</main>"

    response = TestClient(app).post("/refuses")
    assert response.status == 409
    assert response.text == "<main>Someone else changed it.</main>"
    assert seen[0].status == 409  # the handler's HTTPError, not a guard error
    assert titles(other) == []
    assert can_write(other)


def test_the_apps_500_page_renders_the_guard_error(db: sqlite3.Connection) -> None:
    app = make_app(db)

    @app.error(500)
    def crashed(request: kali.Request, error: Exception) -> str:
        assert isinstance(error, TransactionLeftOpen)
        return f"<layout>{error.message}</layout>"

    response = TestClient(app, raise_server_exceptions=False).post("/task/1/forgot")
    assert response.status == 500
    assert response.text.startswith("<layout>Your change was not saved")


@pytest.mark.parametrize("failure", ["forgot", "raises", "refuses"])
def test_nothing_half_written_after_any_failure(
    db: sqlite3.Connection, other: sqlite3.Connection, failure: str
) -> None:
    other.execute("INSERT INTO task (title) VALUES ('kept')")
    client = TestClient(make_app(db), raise_server_exceptions=False)
    target = "/task/1/forgot" if failure == "forgot" else f"/{failure}"
    for _ in range(3):
        assert client.post(target).status in (409, 500)
        assert titles(other) == ["kept"]
        assert can_write(other)
    assert client.get("/").text == "kept"


def test_a_transaction_open_before_the_request_is_not_blamed_on_it(
    db: sqlite3.Connection, other: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(make_app(db))
    db.execute("INSERT INTO task (title) VALUES ('start-up code forgot')")
    with caplog.at_level(logging.ERROR, logger="kali.sqlite"):
        assert client.post("/good", data={"title": "pen"}).status == 303
    assert titles(other) == ["pen"]
    assert "already open when the request reached" in caplog.text


def test_middleware_order_around_the_guard(
    db: sqlite3.Connection, other: sqlite3.Connection
) -> None:
    """The guard checks after the middleware added after it, and before those added
    before it see the outcome."""
    events: list[str] = []

    def outer(handler: kali.Handler) -> kali.Handler:
        def call(request: kali.Request) -> kali.ResponseValue:
            try:
                return handler(request)
            except TransactionLeftOpen:
                events.append(f"outer: error, open={db.in_transaction}")
                raise

        return call

    def inner(handler: kali.Handler) -> kali.Handler:
        def call(request: kali.Request) -> kali.ResponseValue:
            value = handler(request)
            events.append(f"inner: returned, open={db.in_transaction}")
            return value

        return call

    def writes(handler: kali.Handler) -> kali.Handler:  # a middleware that forgets too
        def call(request: kali.Request) -> kali.ResponseValue:
            value = handler(request)
            if request.path == "/":
                db.execute("INSERT INTO task (title) VALUES ('by middleware')")
            return value

        return call

    app = kali.App()
    app.use(outer)
    app.use(sqlite.guard(db))
    app.use(inner)
    app.use(writes)

    @app.post("/forgot")
    def forgot(request: kali.Request) -> str:
        db.execute("INSERT INTO task (title) VALUES ('x')")
        return "ok"

    @app.get("/")
    def index(request: kali.Request) -> str:
        return "index"

    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/forgot").status == 500
    assert events == ["inner: returned, open=True", "outer: error, open=False"]
    assert client.get("/").status == 500  # the inner middleware's write is caught too
    assert titles(other) == []
    assert can_write(other)


def test_a_mounted_app_is_guarded_by_the_outer_guard(
    db: sqlite3.Connection, other: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    admin = kali.App()
    admin.use(lambda handler: handler)  # any middleware: the sub-app then names its route

    @admin.post("/purge")
    def purge(request: kali.Request) -> str:
        db.execute("INSERT INTO task (title) VALUES ('x')")
        return "purged"

    app = kali.App()
    app.use(sqlite.guard(db))
    app.mount("/admin", admin)
    with caplog.at_level(logging.ERROR, logger="kali"):
        assert TestClient(app, raise_server_exceptions=False).post("/admin/purge").status == 500
    assert titles(other) == []
    assert ".purge (" in caplog.text and "POST /admin/purge (route /purge)" in caplog.text


def test_a_mounted_app_without_middleware_is_named_by_its_mount(
    db: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    admin = kali.App()

    @admin.post("/purge")
    def purge(request: kali.Request) -> str:
        db.execute("INSERT INTO task (title) VALUES ('x')")
        return "purged"

    app = kali.App()
    app.use(sqlite.guard(db))
    app.mount("/admin", admin)
    with caplog.at_level(logging.ERROR, logger="kali"):
        assert TestClient(app, raise_server_exceptions=False).post("/admin/purge").status == 500
    assert "the handler App mounted at /admin returned" in caplog.text


def test_two_threads_at_once_are_refused(db: sqlite3.Connection, other: sqlite3.Connection) -> None:
    entered, release = threading.Event(), threading.Event()
    app = kali.App()
    app.use(sqlite.guard(db))

    @app.post("/slow")
    def slow(request: kali.Request) -> str:
        with transaction(db):
            db.execute("INSERT INTO task (title) VALUES ('slow')")
            entered.set()
            assert release.wait(10)
        return "ok"

    @app.post("/fast")
    def fast(request: kali.Request) -> str:
        with transaction(db):
            db.execute("INSERT INTO task (title) VALUES ('fast')")
        return "ok"

    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(TestClient(app).post("/slow").status))
    worker.start()
    try:
        assert entered.wait(10)
        with pytest.raises(sqlite.ConcurrentUseError, match="one request at a time"):
            TestClient(app).post("/fast")
    finally:
        release.set()
        worker.join(10)
    assert results == [200]
    assert titles(other) == ["slow"]  # the other request did not touch the transaction
    assert TestClient(app).post("/fast").status == 200


def test_guard_refuses_what_it_cannot_check(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"sqlite3\.Connection"):
        sqlite.guard("app.sqlite3")  # type: ignore[arg-type]
    if sys.version_info >= (3, 12):
        pep249 = sqlite3.connect(tmp_path / "x.sqlite3", autocommit=False)  # type: ignore[call-arg,unused-ignore]
        with pytest.raises(ValueError, match="autocommit=False"):
            sqlite.guard(pep249)
        pep249.close()


# -- over real sockets ---------------------------------------------------------------


def test_the_guard_over_a_real_server(
    live_server: ServerFactory, db: sqlite3.Connection, other: sqlite3.Connection
) -> None:
    server = live_server(make_app(db))  # served from another thread than the one that opened db
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)

    def send(method: str, target: str, body: str = "") -> http.client.HTTPResponse:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response

    try:
        assert send("POST", "/task/1/forgot").status == 500
        assert titles(other) == [] and can_write(other)
        assert send("POST", "/raises").status == 500
        assert titles(other) == [] and can_write(other)
        assert send("POST", "/refuses").status == 409
        assert titles(other) == [] and can_write(other)
        assert send("POST", "/good", "title=pen").status == 303
        assert titles(other) == ["pen"]
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"pen"
    finally:
        conn.close()


def test_the_guard_checks_after_each_step_of_a_streamed_body(tmp_path: Path) -> None:
    db = sqlite.connect(tmp_path / "steps.sqlite3")
    db.execute("CREATE TABLE t (n INTEGER)")
    app = kali.App()
    app.use(sqlite.guard(db))
    steps_run: list[int] = []

    @app.get("/import")
    def import_rows(request: kali.Request) -> Iterator[str]:
        for n in range(5):
            with sqlite.transaction(db):
                db.execute("INSERT INTO t VALUES (?)", (n,))
            steps_run.append(n)
            yield f"{n}\n"

    @app.get("/forgets")
    def forgets(request: kali.Request) -> Iterator[str]:
        yield "first\n"
        db.execute("INSERT INTO t VALUES (99)")  # no commit: the guard ends the stream
        yield "never sent\n"

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/import").text == "0\n1\n2\n3\n4\n"
    assert steps_run == [0, 1, 2, 3, 4]
    response = client.get("/forgets")
    assert response.text == "first\n"
    assert not db.in_transaction
    other = sqlite3.connect(tmp_path / "steps.sqlite3")
    assert [n for (n,) in other.execute("SELECT n FROM t ORDER BY n")] == [0, 1, 2, 3, 4]
    other.close()
    db.close()


def test_an_id_from_the_url_always_fits_an_sqlite_query(path: Path) -> None:
    # The examples' pattern: an id from the path or the query straight into a query. An
    # id beyond SQLite's INTEGER was an OverflowError from sqlite3, a 500.
    db = sqlite.connect(path)  # the fixture's table task (id INTEGER PRIMARY KEY, title)
    db.execute("INSERT INTO task VALUES (?, 'last')", (2**63 - 1,))
    db.commit()
    app = kali.App()

    @app.get("/tasks/<int:id>")
    def task(request: kali.Request, id: int) -> str:
        row = db.execute("SELECT title FROM task WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise kali.HTTPError(404, f"There is no task {id}")
        return str(row["title"])

    @app.get("/tasks")
    def tasks(request: kali.Request, after: int = 0) -> str:
        rows = db.execute("SELECT id FROM task WHERE id > ?", (after,)).fetchall()
        return str(len(rows))

    client = TestClient(app)
    assert client.get(f"/tasks/{2**63 - 1}").text == "last"
    assert client.get(f"/tasks/{2**63}").status == 404
    assert client.get("/tasks/99999999999999999999999").status == 404
    assert client.get("/tasks", query={"after": str(-(2**63))}).text == "1"
    assert client.get("/tasks", query={"after": str(2**63)}).status == 400
    db.close()
