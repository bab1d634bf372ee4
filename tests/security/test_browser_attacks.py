"""Issue 15, points 1 and 2, in headless Chromium: attacker pages on another loopback
port (at `evil.test`, which the browser resolves to 127.0.0.1, and at 127.0.0.1 itself)
try to change the app's state, frame it, and reach it by a rebound name — against kali's
server and against waitress through the WSGI adapter.

Each write attack is checked twice: the state did not change, and the browser really sent
the request and got a 403 (so a variant that never reached the app cannot pass by
accident). Same-origin controls show the app's own page does change state, and that a
frame renders the app when the security headers are switched off.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ..conftest import CHROMIUM_ARGS, chromium_path
from .attacker import Attacker
from .conftest import KINDS, Target, TargetFactory, shared_target
from .net import get
from .target_app import MARKER

pytestmark = pytest.mark.browser

RESOLVER = "--host-resolver-rules=MAP evil.test 127.0.0.1, MAP *.evil.test 127.0.0.1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (skipped without it, except in CI)."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Chromium or Playwright is missing (.ci/run installs it)")
        pytest.skip("no Chromium or no playwright: browser tests skipped")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=[*CHROMIUM_ARGS, RESOLVER])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module", params=KINDS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """This module's own targets, so that its tests run together with one browser."""
    yield from shared_target(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def attacker() -> Iterator[Attacker]:
    site = Attacker()
    yield site
    site.close()


def count(target: Target) -> int:
    return int(get(target.port, "/count").body)


def auto_form(
    action: str, enctype: str = "application/x-www-form-urlencoded", extra: str = ""
) -> str:
    return (
        f"<form id=f method=post action='{action}' enctype='{enctype}' {extra}>"
        "<input name=a value=1></form><script>document.getElementById('f').submit()</script>"
    )


def script(body: str) -> str:
    # Runs the attack, then says it is done (whatever the outcome) in the title.
    return (
        "<script>(async () => { try { " + body + " } catch (e) { document.title = 'error ' + e; "
        "return } document.title = 'done' })()</script>"
    )


#: name -> (attacker host, page builder given the app's /bump URL, whether the write reaches
#: the app at all). The CORS-preflighted write never reaches it: the browser stops at the
#: preflight, which kali answers without the CORS headers that would allow it.
ATTACKS: dict[str, tuple[str, Any, bool]] = {
    "form-urlencoded-cross-site": ("evil.test", lambda u: auto_form(u), True),
    "form-urlencoded-same-site-other-port": ("127.0.0.1", lambda u: auto_form(u), True),
    "form-multipart": ("evil.test", lambda u: auto_form(u, "multipart/form-data"), True),
    "form-text-plain": ("evil.test", lambda u: auto_form(u, "text/plain"), True),
    "form-into-hidden-iframe": (
        "evil.test",
        lambda u: (
            "<iframe name=sink style=display:none></iframe>" + auto_form(u, extra="target=sink")
        ),
        True,
    ),
    "form-from-sandboxed-iframe-origin-null": (
        "evil.test",
        lambda u: (
            "<iframe sandbox='allow-forms allow-scripts' srcdoc=\""
            + auto_form(u).replace('"', "&quot;")
            + '"></iframe>'
        ),
        True,
    ),
    "form-through-307-redirect": ("evil.test", lambda u: auto_form("/redirect-307?to=" + u), True),
    "fetch-no-cors-urlencoded": (
        "evil.test",
        lambda u: script(
            f"await fetch('{u}', {{method: 'POST', mode: 'no-cors', credentials: 'include', "
            "headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'a=1'})"
        ),
        True,
    ),
    "fetch-no-cors-keepalive-same-site": (
        "127.0.0.1",
        lambda u: script(
            f"await fetch('{u}', {{method: 'POST', mode: 'no-cors', keepalive: true, "
            "credentials: 'include', body: 'a=1'})"
        ),
        True,
    ),
    "send-beacon": (
        "evil.test",
        lambda u: script(
            f"navigator.sendBeacon('{u}', 'a=1'); await new Promise(r => setTimeout(r, 300))"
        ),
        True,
    ),
    "xhr-with-credentials": (
        "127.0.0.1",
        lambda u: script(
            "await new Promise(done => { const x = new XMLHttpRequest(); "
            f"x.open('POST', '{u}'); x.withCredentials = true; x.onloadend = done; "
            "x.send('a=1') })"
        ),
        True,
    ),
    "fetch-cors-put-preflighted": (
        "evil.test",
        lambda u: script(
            f"await fetch('{u}', {{method: 'PUT', body: '{{}}', headers: "
            "{'Content-Type': 'application/json'}}).catch(() => null)"
        ),
        False,
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_cross_site_write_changes_nothing(
    browser: Any, attacker: Attacker, target: Target, attack: str
) -> None:
    host, build, reaches = ATTACKS[attack]
    bump = f"{target.url}/bump"
    attacker.pages[f"/{attack}"] = build(bump)
    before = count(target)
    logged = len(target.access_log())
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(attacker.url(f"/{attack}", host), wait_until="load")
        # What the app's server saw (a browser's own events miss requests made from
        # frames in other processes): the write, or for the CORS case its preflight.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            seen = [(m, s) for m, p, s in target.access_log()[logged:] if p == "/bump"]
            if any(m != "OPTIONS" for m, _ in seen) or (not reaches and seen):
                break
            page.wait_for_timeout(50)
        page.wait_for_timeout(100)  # anything still in flight
    finally:
        context.close()
    seen = [(m, s) for m, p, s in target.access_log()[logged:] if p == "/bump"]
    print(f"{target.kind} {attack}: the app's server saw {seen}")
    assert count(target) == before, f"{attack} changed the state ({seen})"
    writes = [status for method, status in seen if method != "OPTIONS"]
    if reaches:
        assert writes and all(status == 403 for status in writes), seen
    else:
        assert writes == [] and seen, seen  # the preflight was sent, and nothing else


def test_same_origin_form_changes_state(browser: Any, target: Target) -> None:
    # The control: the app's own form, posted by the same browser, is served.
    before = count(target)
    page = browser.new_page()
    try:
        page.goto(f"{target.url}/", wait_until="load")
        with page.expect_navigation():
            page.click("#bump")
        assert page.url == f"{target.url}/count"
    finally:
        page.close()
    assert count(target) == before + 1


@pytest.mark.parametrize(
    "host", ["evil.test:{port}", "localhost.evil.test:{port}", "127.0.0.1.evil.test:{port}"]
)
def test_rebound_name_gets_403(browser: Any, target: Target, host: str) -> None:
    page = browser.new_page()
    try:
        response = page.goto(f"http://{host.format(port=target.port)}/", wait_until="load")
        assert response is not None and response.status == 403
        assert MARKER not in page.content()
        control = page.goto(f"http://localhost:{target.port}/", wait_until="load")
        assert control is not None and control.status == 200 and MARKER in page.content()
    finally:
        page.close()


#: name -> security_headers for the target (None: the defaults), whether a frame may render.
FRAMING = {
    "defaults": (None, False),
    "x-frame-options-only": ({"X-Frame-Options": "DENY"}, False),
    "frame-ancestors-only": ({"Content-Security-Policy": "frame-ancestors 'none'"}, False),
    "switched-off": ({}, True),
}
#: Each header alone is a property of the browser and of the pipeline both servers share:
#: checked once, under kali's server.
FRAMING_CASES = [("native", case) for case in FRAMING] + [
    ("wsgi", "defaults"),
    ("wsgi", "switched-off"),
]


@pytest.mark.parametrize(("kind", "case"), FRAMING_CASES)
def test_clickjacking_frame_does_not_render(
    browser: Any, attacker: Attacker, start_target: TargetFactory, kind: str, case: str
) -> None:
    headers, renders = FRAMING[case]
    args = () if headers is None else ("--security-headers", json.dumps(headers))
    target = start_target(kind, *args)
    # The app's button, in a frame made nearly invisible over a decoy.
    attacker.pages["/clickjack"] = (
        "<button style='position:absolute;left:0;top:0;width:400px;height:300px'>Win!</button>"
        f"<iframe id=app src='{target.url}/' style='position:absolute;left:0;top:0;"
        "width:400px;height:300px;border:0;opacity:0.0001'></iframe>"
    )
    before = count(target)
    page = browser.new_page()
    try:
        page.goto(attacker.url("/clickjack"), wait_until="load")
        deadline = time.monotonic() + 5
        shown = False
        while time.monotonic() < deadline:
            child = next((f for f in page.frames if f is not page.main_frame), None)
            shown = child is not None and MARKER in child.content()
            if shown or (child is not None and child.url.startswith("chrome-error:")):
                break
            page.wait_for_timeout(50)
        print(f"{kind} {case}: frame shows the app: {shown}")
        page.mouse.click(200, 150)  # the victim clicks the decoy
        page.wait_for_timeout(300)
    finally:
        page.close()
    assert shown is renders
    assert count(target) == before + (1 if renders else 0)
