"""Every example's pages in Chromium: each loads with all its stylesheets, scripts and
pictures, with no console error and no failed request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import Serve, missing_assets, screenshot, watch

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = pytest.mark.browser

PAGES = {
    "intro": ["/", "/?name=Ada", "/square/12"],
    "static_site": ["/", "/about.html", "/gallery.html", "/files"],
    "guard": ["/"],
    "todo": ["/"],
    "datebook": [
        "/",
        "/appointments",
        "/appointments/new",
        "/tasks",
        "/tasks/new",
        "/contacts",
        "/contacts/new",
        "/contacts/import",
    ],
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_loads_with_its_assets(name: str, serve: Serve, context: BrowserContext) -> None:
    running = serve(name)
    page = context.new_page()
    watched = watch(page)
    for path in PAGES[name]:
        page.goto(running.url + path.lstrip("/"), wait_until="load")
        assert missing_assets(page) == [], path
        assert page.title(), path
        screenshot(page, f"{name}{path}")
    page.close()
    assert watched.errors() == [], running.log()
