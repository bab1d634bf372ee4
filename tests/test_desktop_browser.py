"""The lifeline in a real headless Chromium: the last page closing ends the program;
a reload, a navigation and a second window do not; `--reload` reloads open pages."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kali.desktop.lifeline import GRACE

from .conftest import CHROMIUM_ARGS
from .programs import Program, kali_run, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals"),
]

APP = """\
import kali

app = kali.App()
PAGE = "<!doctype html><html><head><title>{{0}}</title></head><body><h1 id=v>{version} {{0}}</h1>"


@app.get("/")
def one(request: kali.Request) -> str:
    return PAGE.format("one") + "<a id=next href=/two>two</a></body></html>"


@app.get("/two")
def two(request: kali.Request) -> str:
    return PAGE.format("two") + "</body></html>"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP.format(version="v1"))
    return tmp_path


@pytest.fixture
def programs() -> Iterator[list[Program]]:
    started: list[Program] = []
    yield started
    for program in started:
        program.stop()


def lifelines(url: str) -> int:
    with urllib.request.urlopen(url + "_kali/instance", timeout=10) as response:
        count: int = json.load(response)["lifelines"]
        return count


def test_only_closing_the_last_page_ends_the_program(
    folder: Path, programs: list[Program], chromium: str
) -> None:
    from playwright.sync_api import sync_playwright

    program = kali_run(
        "app:app", "--exit-when-closed", "--port", "0", "--no-browser", cwd=folder, env={}
    )
    programs.append(program)
    url = program.url()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(url)
            wait_until(lambda: lifelines(url) == 1)
            page.reload()
            assert page.text_content("#v") == "v1 one"
            wait_until(lambda: lifelines(url) == 1)
            page.click("#next")
            page.wait_for_url("**/two")
            wait_until(lambda: lifelines(url) == 1)
            second = context.new_page()  # a second window of the same browser
            second.goto(url)
            page.close()
            time.sleep(GRACE + 1)  # past the grace: the second window keeps it running
            assert program.process.poll() is None and lifelines(url) == 1
            second.close()  # the last window
            closed = time.monotonic()
            assert program.wait(GRACE + 2) == 0
            print(f"ended {time.monotonic() - closed:.2f}s after the last page closed")
        finally:
            browser.close()
    assert "the last window closed, shutting down" in program.output


def test_a_real_app_window_keeps_the_program_until_its_browser_ends(
    folder: Path, programs: list[Program], chromium: str
) -> None:
    # Chromium as kali starts it for window=True (--app, --user-data-dir, --window-size),
    # headless here: the wrapper records the browser's process id and adds the flags.
    wrapper = folder / "chromium-window"
    flags = " ".join(CHROMIUM_ARGS)
    wrapper.write_text(
        f'#!/bin/sh\necho $$ > "{folder}/browser.pid"\nexec {chromium} {flags} "$@"\n'
    )
    wrapper.chmod(0o755)
    env = {
        "KALI_BROWSER": str(wrapper),
        "DISPLAY": ":kali-test",
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_RUNTIME_DIR": str(folder / "run"),
    }
    program = kali_run("app:app", "--window", "--port", "0", cwd=folder, env=env)
    programs.append(program)
    url = program.url()
    wait_until(lambda: lifelines(url) == 1, timeout=30)  # the window loaded the page
    time.sleep(GRACE + 1)
    assert program.process.poll() is None
    pid = int((folder / "browser.pid").read_text())
    os.kill(pid, signal.SIGTERM)  # the browser goes, with its window
    assert program.wait(GRACE + 2) == 0
    assert "the last window closed, shutting down" in program.output


def test_reload_serves_new_code_and_the_open_page_reloads(
    folder: Path, programs: list[Program], chromium: str
) -> None:
    from playwright.sync_api import sync_playwright

    program = kali_run("app:app", "--reload", "--port", "0", "--no-browser", cwd=folder, env={})
    programs.append(program)
    url = program.url()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            assert page.text_content("#v") == "v1 one"
            wait_until(lambda: lifelines(url) == 1)
            (folder / "app.py").write_text(APP.format(version="v2"))
            changed = time.monotonic()
            page.wait_for_function(
                "document.getElementById('v').textContent === 'v2 one'", timeout=20_000
            )
            print(f"the page showed the new code {time.monotonic() - changed:.2f}s after the edit")
        finally:
            browser.close()
    program.process.send_signal(signal.SIGINT)
    assert program.wait(20) == 0
