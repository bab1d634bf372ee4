"""The demo in a real headless Chromium, driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The demo, started as a user would, on a free port; stopped after the test."""
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "examples/demo.py", "--port", "0", "--no-browser", "--db", ":memory:"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "serving on " in line, line
        yield line.split("serving on ")[1].split()[0], process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
        assert process.stdout is not None
        process.stdout.close()
        log.close()
        print((tmp_path / "demo.log").read_text())  # shown when the test fails


def test_demo_loads_with_its_assets_and_adds_a_note(
    demo: tuple[str, subprocess.Popen[str]], chromium: str
) -> None:
    from playwright.sync_api import sync_playwright

    demo_url, process = demo
    failed: list[str] = []
    loaded: list[tuple[str, int]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("response", lambda r: loaded.append((r.url, r.status)))
            page.goto(demo_url, wait_until="load")
            assert page.title() == "kali notes"
            # The stylesheet applied and the script ran.
            assert page.eval_on_selector("body", "b => getComputedStyle(b).maxWidth") != "none"
            assert page.text_content(".count") == "0 notes"
            page.fill("input[name=text]", "Buy <milk> & tea")
            page.click("#add button")
            page.wait_for_selector("#notes li")
            assert page.text_content("#notes li .text") == "Buy <milk> & tea"
            assert page.text_content(".count") == "1 note"
            page.click("#quit button")  # stops the program
            page.wait_for_selector("text=Goodbye")
            assert process.wait(10) == 0  # the Quit button ended the program
        finally:
            browser.close()
    # Playwright reports the lifeline's SharedWorker script (kali.desktop.lifeline) as
    # aborted when its page navigates away, although the server sent it whole.
    assert [url for url in failed if not url.endswith("/_kali/lifeline-worker.js")] == []
    statuses: dict[str, int] = {}
    for url, status in loaded:  # the first load of each URL (later ones may be 304s)
        statuses.setdefault(url, status)
    assert statuses[demo_url + "static/style.css"] == 200
    assert statuses[demo_url + "static/app.js"] == 200
    assert all(status < 400 for status in statuses.values()), statuses
