"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, the examples
served as processes of their own, pages that record what went wrong, and screenshots.

Screenshots of the key pages are written to `tests/browser/screenshots/` (ignored by git),
so that a person can look at them after a run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..conftest import CHROMIUM_ARGS, require_chromium
from ..example_process import RunningExample, run_example

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Response

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DATABASE_EXAMPLES = {"guard", "todo", "datebook"}

Serve = Callable[..., RunningExample]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the tests of a module (each test makes its own context)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: its own cookies, like a new user."""
    made = browser.new_context(viewport={"width": 1000, "height": 760})
    made.set_default_timeout(15_000)  # a bound for a loaded machine, not a measure
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """`serve("todo")`: the example running as a process (one per module and arguments),
    on a database file of its own."""
    with ExitStack() as stack:
        started: dict[tuple[str, ...], RunningExample] = {}

        def start(name: str, *args: str) -> RunningExample:
            key = (name, *args)
            if key not in started:
                extra: list[str] = []
                if name in DATABASE_EXAMPLES:
                    extra = ["--db", str(tmp_path_factory.mktemp(name) / f"{name}.sqlite3")]
                started[key] = stack.enter_context(run_example(name, *extra, *args))
            return started[key]

        yield start


@dataclass
class Watched:
    """What a page met: console errors, uncaught exceptions, failed requests, statuses."""

    page: Page
    problems: list[str] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)

    def errors(self, *allowed: int) -> list[str]:
        """The problems, and every response of 400 or more, except those with an `allowed`
        status (Chromium logs those in the console too: that line is left out as well)."""
        expected = tuple(f"console: {_RESOURCE_ERROR} {status} " for status in allowed)
        found = [problem for problem in self.problems if not problem.startswith(expected)]
        found += [
            f"{status} {url}"
            for url, status in self.statuses
            if status >= 400 and status not in allowed
        ]
        return found


DROPPED_ON_LEAVING = ("eventsource", "fetch", "other")
"""Requests the browser cancels (`net::ERR_ABORTED`) when the page is left, whatever the
server does: a script's event stream or fetch, and the page's icon, which Chromium asks for
after the page has loaded. (A page's own assets are checked by `missing_assets`.)"""
_RESOURCE_ERROR = "Failed to load resource: the server responded with a status of"


def watch(page: Page) -> Watched:
    """Record what goes wrong on `page` from now on."""
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.problems.append(f"console: {message.text} ({message.location})")

    def on_failed(request: Request) -> None:
        if request.failure == "net::ERR_ABORTED" and request.resource_type in DROPPED_ON_LEAVING:
            return  # cancelled by the browser as the page was left: not a failure
        watched.problems.append(f"failed: {request.method} {request.url}: {request.failure}")

    def on_response(response: Response) -> None:
        watched.statuses.append((response.url, response.status))

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.problems.append(f"page error: {error}"))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    return watched


MISSING_ASSETS = """() => {
  const missing = [];
  for (const img of document.images)
    if (!img.complete || img.naturalWidth === 0) missing.push(img.src);
  for (const link of document.querySelectorAll('link[rel="stylesheet"]'))
    if (!link.sheet) missing.push(link.href);
  const fetched = new Set(performance.getEntriesByType("resource").map((entry) => entry.name));
  for (const script of document.querySelectorAll("script[src]"))
    if (!fetched.has(script.src)) missing.push(script.src);
  return missing;
}"""


def assets_of(page: Page) -> list[str]:
    """The URLs of the page's stylesheets, scripts and pictures."""
    urls: list[str] = page.evaluate(
        """() => [
          ...[...document.querySelectorAll('link[rel="stylesheet"]')].map((e) => e.href),
          ...[...document.querySelectorAll("script[src]")].map((e) => e.src),
          ...[...document.images].map((e) => e.src),
        ]"""
    )
    return sorted(set(urls))


def missing_assets(page: Page) -> list[str]:
    """The stylesheets, scripts and pictures of the page that did not load."""
    missing: list[str] = page.evaluate(MISSING_ASSETS)
    return missing


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as `tests/browser/screenshots/<name>.png`."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "-", name).strip("-") + ".png")
    page.screenshot(path=path, full_page=True)
    return path
