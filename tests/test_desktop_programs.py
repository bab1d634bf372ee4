"""The desktop lifecycle over real processes: the window's browser, one instance,
`--reload`. A fake browser (`KALI_BROWSER`) stands for Chrome: it records how it was
started and stays open until the test closes it."""

from __future__ import annotations

import json
import signal
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kali.desktop.lifecycle import BROWSER_POLL
from kali.desktop.lifeline import GRACE

from .programs import FakeBrowser, Program, alive, kali_run, wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals")

APP = """\
import kali

app = kali.App()


@app.get("/")
def home(request: kali.Request) -> str:
    return "<!doctype html><html><body><h1>{version}</h1></body></html>"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP.format(version="v1"))
    return tmp_path


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[FakeBrowser]:
    fake = FakeBrowser(tmp_path / "browser")
    yield fake
    fake.close()  # every window the test left open


@pytest.fixture
def programs() -> Iterator[list[Program]]:
    started: list[Program] = []
    yield started
    for program in started:
        program.stop()


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        text: str = response.read().decode()
        return text


def lock_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "run" / "kali" / "instances").glob("*.json"))


def test_the_window_opens_in_app_mode_and_its_browser_exiting_ends_the_program(
    folder: Path, browser: FakeBrowser, programs: list[Program]
) -> None:
    program = kali_run("app:app", "--window", "--port", "0", cwd=folder, env=browser.env(folder))
    programs.append(program)
    url = program.url()
    [launch] = browser.wait_for_launches(1)
    argv = launch["argv"]
    assert isinstance(argv, list)
    assert f"--app={url}" in argv and "--window-size=1024,768" in argv
    profile = Path(next(a for a in argv if a.startswith("--user-data-dir=")).partition("=")[2])
    assert profile.parent == folder / "data" / "kali" / "windows"
    assert profile.name == f"tmp-{program.process.pid}" and profile.is_dir()
    assert "<h1>v1</h1>" in fetch(url)
    browser.close()  # the user closes the window: its process exits
    assert program.wait(GRACE + BROWSER_POLL + 2) == 0
    assert "the last window closed, shutting down" in program.output
    assert not profile.exists()  # the temporary profile went with the program


def test_the_program_ending_closes_the_window_it_opened(
    folder: Path, browser: FakeBrowser, programs: list[Program]
) -> None:
    program = kali_run("app:app", "--window", "--port", "0", cwd=folder, env=browser.env(folder))
    programs.append(program)
    program.url()
    [launch] = browser.wait_for_launches(1)
    pid = launch["pid"]
    assert isinstance(pid, int) and alive(pid)
    program.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert program.wait(15) == 0
    wait_until(lambda: not alive(pid))


def test_a_second_launch_shows_the_first_and_exits_with_0(
    folder: Path, browser: FakeBrowser, programs: list[Program]
) -> None:
    env = browser.env(folder)
    args = ("app:app", "--window", "--app-id", "notes", "--port", "0")
    first = kali_run(*args, cwd=folder, env=env)
    programs.append(first)
    url = first.url()
    [lock] = lock_files(folder)
    info = json.loads(lock.read_text())
    assert info["pid"] == first.process.pid and info["url"] == url and info["app_id"] == "notes"
    second = kali_run(*args, cwd=folder, env=env)
    programs.append(second)
    assert second.wait(30) == 0
    assert f"notes is already running on {url}" in second.output
    assert "serving on" not in second.output  # no second server
    launches = browser.wait_for_launches(2)
    assert [f"--app={url}" in launch["argv"] for launch in launches] == [True, True]  # type: ignore[operator]
    profiles = {a for launch in launches for a in launch["argv"] if a.startswith("--user-data")}  # type: ignore[attr-defined]
    assert len(profiles) == 1  # the app's own profile: the browser adds a window to the first
    assert first.process.poll() is None and "<h1>v1</h1>" in fetch(url)
    first.process.send_signal(signal.SIGTERM)
    assert first.wait(15) == 0
    assert lock_files(folder) == []  # removed on the way out


def test_a_lock_left_by_a_killed_program_is_stale(
    folder: Path, browser: FakeBrowser, programs: list[Program]
) -> None:
    env = browser.env(folder)
    args = ("app:app", "--app-id", "notes", "--port", "0", "--no-browser")
    killed = kali_run(*args, cwd=folder, env=env)
    programs.append(killed)
    killed.url()
    killed.process.kill()
    killed.wait(10)
    [lock] = lock_files(folder)
    assert json.loads(lock.read_text())["pid"] == killed.process.pid  # left behind
    again = kali_run(*args, cwd=folder, env=env)
    programs.append(again)
    url = again.url()
    assert "<h1>v1</h1>" in fetch(url)
    assert json.loads(lock.read_text())["pid"] == again.process.pid
    again.process.send_signal(signal.SIGTERM)
    assert again.wait(15) == 0 and not lock.exists()


def test_reload_restarts_on_a_change_waits_out_a_broken_edit_and_keeps_the_port(
    folder: Path, programs: list[Program]
) -> None:
    program = kali_run("app:app", "--reload", "--port", "0", "--no-browser", cwd=folder, env={})
    programs.append(program)
    assert "watching 1 Python files under" in program.wait_for_line("--reload: watching")
    url = program.url()
    assert "<h1>v1</h1>" in fetch(url)
    child_line = len(program.lines)
    (folder / "app.py").write_text("this is not python\n")
    program.wait_for_line("exited with status 1; waiting for a change", after=child_line)
    (folder / "app.py").write_text(APP.format(version="v2"))
    mark = len(program.lines)
    assert program.url(after=mark) == url  # the same port, held by the supervisor
    assert "<h1>v2</h1>" in fetch(url)
    program.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert program.wait(20) == 0
    assert program.output.count("serving on") == 2


def test_ctrl_c_stops_reload_started_with_sigint_ignored(
    folder: Path, programs: list[Program]
) -> None:
    # A shell script's background job starts with SIGINT ignored, and then Python
    # raises no KeyboardInterrupt: the supervisor must handle the signal itself.
    ignoring = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "os.execv(sys.executable, [sys.executable, '-m', 'kali', *sys.argv[1:]])"
    )
    args = ["run", "app:app", "--reload", "--port", "0", "--no-browser"]
    program = Program([sys.executable, "-c", ignoring, *args], folder, {})
    programs.append(program)
    assert "<h1>v1</h1>" in fetch(program.url())
    program.process.send_signal(signal.SIGINT)
    assert program.wait(20) == 0
    assert "stopped" in program.output  # the child shut down, not killed


def test_a_reload_child_ends_when_its_supervisor_is_killed(
    folder: Path, programs: list[Program]
) -> None:
    program = kali_run("app:app", "--reload", "--port", "0", "--no-browser", cwd=folder, env={})
    programs.append(program)
    url = program.url()
    child = json.loads(fetch(url + "_kali/instance"))["pid"]
    assert child != program.process.pid and alive(child)
    program.process.kill()
    program.wait(10)
    wait_until(lambda: not alive(child), timeout=15)
