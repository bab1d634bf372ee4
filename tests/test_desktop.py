"""kali.desktop in one process: the options, the lifeline tag and count, the browser
search, the instance lock, the file watcher."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import kali
from kali.desktop.instance import InstanceLock, answers_as, lock_path, process_alive
from kali.desktop.lifeline import (
    LIFELINE_PATH,
    SCRIPT_PATH,
    WORKER_PATH,
    Lifeline,
    insert_tag,
)
from kali.desktop.paths import runtime_dir, user_data_dir
from kali.desktop.reload import FileWatcher, bind_retrying, python_files, watch_root
from kali.desktop.window import browser_candidates, find_browser, profile_root, window_command
from kali.iolist import to_chunks
from kali.listening import listen
from kali.options import ServerOptions, ServerSettings
from kali.scheduler import Scheduler
from kali.staticfiles import StaticFiles
from kali.testing import TestClient

from .conftest import ServerFactory
from .test_server import connect

TAG = "<script>lifeline</script>"


def flat(body: object) -> str:
    return b"".join(to_chunks(body)).decode()  # type: ignore[arg-type]


# -- options -----------------------------------------------------------------------


def test_the_settings_spell_every_option() -> None:
    fields = {field.name for field in dataclasses.fields(ServerOptions)}
    assert set(ServerSettings.__annotations__) == fields


@pytest.mark.parametrize("size", [(0, 600), (800,), [800, 600], (800.0, 600), (True, 600)])
def test_a_bad_window_size_is_refused(size: object) -> None:
    with pytest.raises(kali.ConfigurationError, match="window_size"):
        ServerOptions(window_size=size)  # type: ignore[arg-type]


def test_an_empty_app_id_is_refused() -> None:
    with pytest.raises(kali.ConfigurationError, match="app_id"):
        ServerOptions(app_id="")


# -- the tag -------------------------------------------------------------------------


def test_the_tag_goes_before_the_last_body_end_without_changing_the_iolist() -> None:
    inner = ["<p>hi</p>", "</BODY>\n</html>\n"]
    page = ["<!doctype html><html><body>", ["<p>a</p>", inner]]
    tagged = insert_tag(page, TAG)
    assert flat(tagged) == (f"<!doctype html><html><body><p>a</p><p>hi</p>{TAG}</BODY>\n</html>\n")
    assert page == [
        "<!doctype html><html><body>",
        ["<p>a</p>", ["<p>hi</p>", "</BODY>\n</html>\n"]],
    ]
    assert tagged[0] is page[0]  # only the lists on the way to </body> are copied


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<body>x</body></html>", f"<body>x{TAG}</body></html>"),
        ("<body>no end", f"<body>no end{TAG}"),
        (("<body>", ("x", "</body>")), f"<body>x{TAG}</body>"),
        ("<body><p></body></p></body>", f"<body><p></body></p>{TAG}</body>"),
        ("", TAG),
    ],
)
def test_the_tag_in_bytes_tuples_and_pages_without_an_end(body: kali.IoList, expected: str) -> None:
    assert flat(insert_tag(body, TAG)) == expected


def test_only_the_end_of_a_long_page_is_searched() -> None:
    page = ["<body>", "</body>", *["x" * 1000] * 40]  # no </body> in the last 16 KB
    assert flat(insert_tag(page, TAG)).endswith("x" + TAG)


def make_app(static: Path | None = None) -> kali.App:
    app = kali.App()

    @app.get("/")
    def home(request: kali.Request) -> str:
        return "<html><body><h1>Home</h1></body></html>"

    @app.get("/data")
    def data(request: kali.Request) -> kali.Response:
        return kali.Response.json({"a": 1})

    @app.get("/away")
    def away(request: kali.Request) -> kali.Response:
        return kali.Response.redirect("/")

    @app.get("/steps")
    def steps(request: kali.Request) -> Iterator[str]:
        yield "<html><body><p>1</p>"
        yield "<p>2</p></body></html>"

    if static is not None:
        app.mount("/files", StaticFiles(static))
    return app


def test_html_pages_get_the_tag_and_other_responses_do_not(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<html><body>static</body></html>")
    lifeline = Lifeline(make_app(tmp_path))
    client = TestClient(lifeline)
    tag = lifeline.tag
    assert f'data-instance="{lifeline.instance}"' in tag and 'src="/_kali/lifeline.js"' in tag
    assert client.get("/").text == f"<html><body><h1>Home</h1>{tag}</body></html>"
    assert client.get("/nowhere").status == 404 and tag in client.get("/nowhere").text
    assert client.get("/steps").text == f"<html><body><p>1</p><p>2</p>{tag}</body></html>"
    assert client.get("/files/page.html").text == f"<html><body>static{tag}</body></html>"
    assert client.get("/data").json() == {"a": 1}
    assert tag not in client.get("/away").text


def test_without_inject_pages_are_left_alone() -> None:
    client = TestClient(Lifeline(make_app(), inject=False))
    assert client.get("/").text == "<html><body><h1>Home</h1></body></html>"


def test_the_scripts_and_the_instance_are_served() -> None:
    lifeline = Lifeline(make_app(), app_id="notes")
    client = TestClient(lifeline)
    for path in (SCRIPT_PATH, WORKER_PATH):
        response = client.get(path)
        assert str(response.headers.get("content-type")).startswith("text/javascript")
        assert "EventSource" in response.text and LIFELINE_PATH in response.text
    info = client.get("/_kali/instance").json()
    assert info == {
        "app_id": "notes",
        "instance": lifeline.instance,
        "pid": os.getpid(),
        "lifelines": 0,
    }


def test_a_plain_handler_gets_the_tag_on_its_error_pages_too() -> None:
    def handler(request: kali.Request) -> str:
        if request.path == "/missing":
            raise kali.HTTPError(404)
        raise RuntimeError("boom")

    lifeline = Lifeline(handler)
    client = TestClient(lifeline, raise_server_exceptions=False)
    assert lifeline.tag in client.get("/missing").text
    crashed = client.get("/crash")
    assert crashed.status == 500 and lifeline.tag in crashed.text


# -- the count -----------------------------------------------------------------------


def open_lifeline(server: kali.Server, lifeline: Lifeline) -> tuple[socket.socket, bytes]:
    sock = connect(server)
    sock.sendall(f"GET {LIFELINE_PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    seen = b""
    while f"data: {lifeline.instance}\n\n".encode() not in seen:
        seen += sock.recv(4096)
    return sock, seen


def wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_last_lifeline_closing_calls_on_last_closed_after_the_grace(
    live_server: ServerFactory,
) -> None:
    lifeline = Lifeline(make_app(), grace=0.3)
    ended = threading.Event()
    lifeline.on_last_closed = ended.set
    server = live_server(lifeline)
    first, hello = open_lifeline(server, lifeline)
    assert b"text/event-stream" in hello
    assert f"event: kali-instance\ndata: {lifeline.instance}\n\n".encode() in hello
    second, _ = open_lifeline(server, lifeline)
    wait_for(lambda: lifeline.open == 2)
    first.close()
    wait_for(lambda: lifeline.open == 1)
    time.sleep(0.6)  # twice the grace: one still open
    assert not ended.is_set()
    second.close()
    third, _ = open_lifeline(server, lifeline)  # a reload: closed, then open again within the grace
    time.sleep(0.6)
    assert not ended.is_set()
    third.close()
    assert ended.wait(5)
    assert lifeline.open == 0


def test_an_idle_lifeline_outlives_the_idle_timeout(live_server: ServerFactory) -> None:
    # A minimised window or a sleeping computer: the connection just stays open.
    lifeline = Lifeline(make_app(), grace=0.2)
    ended = threading.Event()
    lifeline.on_last_closed = ended.set
    server = live_server(lifeline, timeouts=kali.Timeouts(idle=0.3))
    sock, _ = open_lifeline(server, lifeline)
    time.sleep(1.0)  # more than three idle timeouts
    assert lifeline.open == 1 and not ended.is_set()
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        sock.recv(1)  # still open: nothing to read, no end of stream
    sock.close()
    assert ended.wait(5)


def test_nothing_ends_before_a_first_lifeline_unless_armed() -> None:
    clock = [0.0]
    lifeline = Lifeline(make_app(), grace=3.0)
    lifeline.scheduler = scheduler = Scheduler(clock=lambda: clock[0])
    calls: list[str] = []
    lifeline.on_last_closed = lambda: calls.append("ended")
    clock[0] = 100.0
    scheduler.run_due()
    assert calls == [] and len(scheduler) == 0  # a server nobody opened a page on
    lifeline.arm()  # the window's browser exited
    clock[0] = 102.0
    scheduler.run_due()
    assert calls == []
    clock[0] = 103.5
    scheduler.run_due()
    assert calls == ["ended"]


def test_a_streamed_page_counts_as_open_while_it_streams(live_server: ServerFactory) -> None:
    release = threading.Event()
    app = kali.App()

    @app.get("/")
    def page(request: kali.Request) -> Iterator[str]:
        yield "<html><body><p>working</p>"
        while not release.is_set():
            time.sleep(0.01)
            yield ""
        yield "</body></html>"

    lifeline = Lifeline(app, grace=0.2)
    server = live_server(lifeline)
    sock = connect(server)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    wait_for(lambda: lifeline.open == 1)
    release.set()
    received = b""
    while not received.endswith(b"0\r\n\r\n"):
        received += sock.recv(65536)
    assert lifeline.tag.encode() + b"</body></html>" in received
    wait_for(lambda: lifeline.open == 0)
    sock.close()


# -- the window ------------------------------------------------------------------------


def test_the_browser_candidates_of_each_platform() -> None:
    linux = browser_candidates("linux", {})
    assert linux[0] == "/opt/google/chrome/chrome" and "/usr/bin/chromium" in linux
    mac = browser_candidates("darwin", {"HOME": "/Users/ann"})
    assert mac[0] == "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    assert "/Users/ann/Applications/Brave Browser.app/Contents/MacOS/Brave Browser" in mac
    windows = browser_candidates(
        "win32",
        {"ProgramFiles": r"C:\Program Files", "LOCALAPPDATA": r"C:\Users\ann\AppData\Local"},
    )
    assert windows[0] == r"C:\Program Files\Google\Chrome\Application\chrome.exe"
    assert r"C:\Users\ann\AppData\Local\Microsoft\Edge\Application\msedge.exe" in windows
    order = [name.rsplit("\\", 1)[1] for name in windows]
    assert order.index("chrome.exe") < order.index("msedge.exe") < order.index("brave.exe")


def test_kali_browser_chooses_the_browser(tmp_path: Path) -> None:
    fake = tmp_path / "my-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_browser({"KALI_BROWSER": str(fake)}) == str(fake)
    assert find_browser({"KALI_BROWSER": "default"}) is None
    assert find_browser({"KALI_BROWSER": str(tmp_path / "missing")}) is None


def test_the_window_command() -> None:
    command = window_command(
        "/usr/bin/chromium", "http://127.0.0.1:8080/", profile=Path("/p"), size=(900, 700)
    )
    assert command[0] == "/usr/bin/chromium"
    assert "--app=http://127.0.0.1:8080/" in command
    assert "--user-data-dir=/p" in command and "--window-size=900,700" in command
    assert not any(
        a.startswith("--window-size") for a in window_command("b", "u", profile=Path("/p"))
    )


def test_a_snap_browser_keeps_its_profiles_where_its_confinement_allows() -> None:
    default = Path("/data/kali/windows")
    assert profile_root("/usr/bin/google-chrome", default) == default
    assert profile_root("/snap/bin/chromium", default) == (
        Path.home() / "snap" / "chromium" / "common" / "kali-windows"
    )


def test_the_folders_of_each_platform() -> None:
    assert user_data_dir("kali", platform="linux", environ={"HOME": "/h"}) == Path(
        "/h/.local/share/kali"
    )
    assert user_data_dir("kali", platform="linux", environ={"XDG_DATA_HOME": "/x"}) == Path(
        "/x/kali"
    )
    assert user_data_dir("kali", platform="darwin", environ={"HOME": "/h"}) == Path(
        "/h/Library/Application Support/kali"
    )
    assert runtime_dir(
        "kali", platform="linux", environ={"XDG_RUNTIME_DIR": "/run/user/1"}
    ) == Path("/run/user/1/kali")
    assert runtime_dir("kali", platform="darwin", environ={"HOME": "/h"}) == Path(
        "/h/Library/Caches/kali"
    )
    windows = user_data_dir("kali", platform="win32", environ={"LOCALAPPDATA": "C:/L"})
    assert windows == Path("C:/L/kali")


# -- the instance lock ------------------------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_lock_is_claimed_published_and_released(tmp_path: Path) -> None:
    lock = InstanceLock("notes", tmp_path / "notes.json")
    assert lock.acquire() is None and lock.owned
    lock.publish("http://127.0.0.1:1/", "http://127.0.0.1:1/", "abc")
    info = json.loads(lock.path.read_text())
    assert info["pid"] == os.getpid() and info["url"] == "http://127.0.0.1:1/"
    lock.release()
    assert not lock.path.exists()


def test_a_lock_of_a_dead_process_is_stale(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"pid": dead_pid(), "url": "http://127.0.0.1:9/", "instance": "x"}))
    lock = InstanceLock("notes", path)
    assert lock.acquire() is None and lock.owned
    assert json.loads(path.read_text())["pid"] == os.getpid()


def test_a_lock_whose_port_does_not_answer_as_the_app_is_stale(tmp_path: Path) -> None:
    with listen("127.0.0.1", 0) as probe:
        port = probe.getsockname()[1]
    path = tmp_path / "notes.json"
    # The process is alive (this test's parent) but the port is not the app's.
    info = {"pid": os.getppid(), "url": f"http://127.0.0.1:{port}/", "instance": "x"}
    path.write_text(json.dumps(info))
    assert InstanceLock("notes", path).acquire() is None


def test_a_running_instance_is_found(tmp_path: Path, live_server: ServerFactory) -> None:
    lifeline = Lifeline(make_app(), app_id="notes")
    server = live_server(lifeline)
    path = tmp_path / "notes.json"
    info = {"pid": os.getppid(), "url": server.url, "launch_url": server.launch_url}
    path.write_text(json.dumps({**info, "instance": lifeline.instance}))
    running = InstanceLock("notes", path).acquire()
    assert running is not None and running.url == server.url and running.pid == os.getppid()
    assert answers_as(server.url, lifeline.instance)
    assert not answers_as(server.url, "another")


def test_a_lock_still_being_claimed_is_waited_for_then_stale(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"pid": os.getppid()}))  # claimed, never published
    started = time.monotonic()
    assert InstanceLock("notes", path).acquire(wait=0.3) is None
    assert time.monotonic() - started >= 0.3


def test_lock_files_are_named_after_the_app_id() -> None:
    path = lock_path("/home/ann/notes.sqlite3")
    assert path.name.startswith("home-ann-notes.sqlite3-") and path.suffix == ".json"
    assert lock_path("a b") != lock_path("a-b")
    assert process_alive(os.getpid()) and not process_alive(dead_pid())


# -- the watcher -------------------------------------------------------------------------


def test_the_watcher_sees_python_files_change_appear_and_go(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "models.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    for skipped in (".git", "__pycache__", "venv"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "hidden.py").write_text("")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in python_files(tmp_path)) == [
        "app.py",
        "pkg/models.py",
    ]
    watcher = FileWatcher(tmp_path)
    assert watcher.count == 2 and watcher.changed() == []
    app = tmp_path / "app.py"
    app.write_text("x = 2\n")
    os.utime(app, ns=(app.stat().st_atime_ns, app.stat().st_mtime_ns + 1_000_000))
    assert watcher.changed() == [app]
    (tmp_path / "new.py").write_text("")
    (tmp_path / "pkg" / "models.py").unlink()
    assert watcher.changed() == [tmp_path / "new.py", tmp_path / "pkg" / "models.py"]
    assert watcher.changed() == []


def test_the_watched_folder_is_found_without_importing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lonely.py").write_text("raise SystemExit('imported!')\n")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert watch_root("lonely") == tmp_path.resolve()
    assert watch_root("shop.web") == (tmp_path / "shop").resolve()
    with pytest.raises(SystemExit, match="no module named 'nowhere'"):
        watch_root("nowhere")


def test_binding_is_retried_while_the_port_is_taken() -> None:
    taken = listen("127.0.0.1", 0)
    port = taken.getsockname()[1]
    threading.Timer(0.3, taken.close).start()
    with bind_retrying("127.0.0.1", port, seconds=10) as sock:
        assert sock.getsockname()[1] == port
    other = listen("127.0.0.1", 0)
    with pytest.raises(SystemExit, match="already in use"):
        bind_retrying("127.0.0.1", other.getsockname()[1], seconds=0.2)
    other.close()


def test_file_bodies_are_read_once_into_the_tagged_page() -> None:
    file = io.BytesIO(b"--<html><body>x</body></html>")
    response = kali.Response(kali.FileBody(file, 27, offset=2), content_type="text/html")
    app = kali.App()
    app.add_route("/", lambda request: response)
    lifeline = Lifeline(app)
    body = TestClient(lifeline).get("/").text
    assert body == f"<html><body>x{lifeline.tag}</body></html>"
    assert file.closed
