"""Flash messages: POST, redirect, the message shown once; the signed cookie; its size."""

from __future__ import annotations

import http.client
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kali
from kali import flash_messages, secret
from kali.flash_messages import COOKIE, MAX_COOKIE_SIZE, Message
from kali.templating import Template
from kali.testing import TestClient, TestResponse

from .conftest import CHROMIUM_ARGS, ServerFactory

PAGE = Template("<main>{for m in messages}<p class={m.category}>{m.text}</p>{else}none{end}</main>")


def make_app() -> kali.App:
    app = kali.App()
    app.use(flash_messages.middleware)

    @app.post("/save")
    def save(request: kali.Request) -> kali.Response:
        kali.flash(request, "Saved.")
        return kali.Response.redirect("/", 303)

    @app.post("/many")
    def many(request: kali.Request) -> kali.Response:
        kali.flash(request, 'First <one> & "quoted"', "success")
        kali.flash(request, "Second", category="warning")
        return kali.Response.redirect("/", 303)

    @app.get("/")
    def index(request: kali.Request) -> kali.ResponseValue:
        return PAGE(messages=flash_messages.messages(request))

    @app.get("/plain")
    def plain(request: kali.Request) -> str:  # shows no messages
        return "plain"

    @app.post("/now")
    def now(request: kali.Request) -> kali.ResponseValue:  # no redirect: shown at once
        kali.flash(request, "Check the date.", "error")
        return PAGE(messages=flash_messages.messages(request))

    @app.post("/fails")
    def fails(request: kali.Request) -> str:
        kali.flash(request, "Saved.")
        raise ValueError("boom")

    @app.get("/read-then-fail")
    def read_then_fail(request: kali.Request) -> str:
        flash_messages.messages(request)
        raise kali.HTTPError(503)

    @app.get("/twice")
    def twice(request: kali.Request) -> str:
        first = flash_messages.messages(request)
        return f"{len(first)} {len(flash_messages.messages(request))}"

    return app


def set_cookie(response: TestResponse) -> str | None:
    values = [v for v in response.headers.get_all("set-cookie") if v.startswith(COOKIE + "=")]
    assert len(values) <= 1
    return values[0] if values else None


def test_post_redirect_get_shows_the_message_once() -> None:
    client = TestClient(make_app())
    response = client.post("/save")
    assert response.status == 303
    cookie = set_cookie(response)
    assert cookie is not None
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie and "; Path=/" in cookie
    assert "Max-Age" not in cookie and "Expires" not in cookie  # a session cookie
    page = client.get("/")
    assert page.text == "<main><p class=info>Saved.</p></main>"
    cleared = set_cookie(page)
    assert cleared is not None and "Max-Age=0" in cleared
    reload = client.get("/")
    assert reload.text == "<main>none</main>"
    assert set_cookie(reload) is None  # no cookie, nothing to clear


def test_a_page_that_showed_messages_is_not_kept_for_back_and_forward() -> None:
    app = make_app()

    @app.get("/cached")
    def cached(request: kali.Request) -> kali.Response:
        response = kali.Response(PAGE(messages=flash_messages.messages(request)))
        response.headers.add("Cache-Control", "private, max-age=5")  # its own choice stays
        return response

    client = TestClient(app)
    client.post("/save")
    assert client.get("/").headers.get("cache-control") == "no-store"
    assert client.get("/").headers.get("cache-control") is None  # no messages: cacheable
    assert client.get("/plain").headers.get("cache-control") is None
    client.post("/save")
    assert client.get("/cached").headers.get("cache-control") == "private, max-age=5"


def test_messages_keep_their_order_and_category_and_are_escaped() -> None:
    client = TestClient(make_app())
    client.post("/many")
    assert client.get("/").text == (
        "<main><p class=success>First &lt;one&gt; &amp; &quot;quoted&quot;</p>"
        "<p class=warning>Second</p></main>"
    )


def test_messages_wait_for_a_page_that_shows_them() -> None:
    client = TestClient(make_app())
    client.post("/save")
    plain = client.get("/plain")
    assert plain.text == "plain" and set_cookie(plain) is None
    assert client.get("/favicon.ico").status == 404
    client.post("/save")  # a second one joins the first
    assert client.get("/").text == "<main><p class=info>Saved.</p><p class=info>Saved.</p></main>"


def test_flashed_and_read_in_the_same_request() -> None:
    client = TestClient(make_app())
    response = client.post("/now")
    assert response.text == "<main><p class=error>Check the date.</p></main>"
    assert set_cookie(response) is None  # nothing left over, no cookie to clear
    assert client.get("/twice").text == "0 0"


def test_a_second_read_in_one_request_is_empty() -> None:
    client = TestClient(make_app())
    client.post("/save")
    assert client.get("/twice").text == "1 0"


def _altered(signed: str) -> str:
    # The signature's first character changed: always another signature (changing
    # its last two to "AA" left it as it was once in a thousand runs).
    value, dot, signature = signed.rpartition(".")
    return value + dot + ("B" if signature[0] == "A" else "A") + signature[1:]


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "",
        secret.sign('[["info","Forged."]]', purpose="another purpose"),
        _altered(secret.sign('[["info","Forged."]]', purpose="kali.flash")),
        secret.sign('{"not": "a list"}', purpose="kali.flash"),
        secret.sign('[["info"], 3, ["x", 4]]', purpose="kali.flash"),
    ],
    ids=["garbage", "empty", "other-purpose", "bad-signature", "not-a-list", "bad-items"],
)
def test_an_altered_cookie_is_ignored_and_cleared(cookie: str) -> None:
    client = TestClient(make_app())
    response = client.get("/", headers={"Cookie": f"{COOKIE}={cookie}"})
    assert response.text == "<main>none</main>"
    cleared = set_cookie(response)
    assert cleared is not None and "Max-Age=0" in cleared


def test_a_tampered_value_with_its_old_signature_is_ignored() -> None:
    client = TestClient(make_app())
    genuine = set_cookie(client.post("/save"))
    assert genuine is not None
    value = genuine.split(";", 1)[0].split("=", 1)[1]
    payload, signature = value.split(".")
    forged = secret.sign('[["info","<script>"]]', purpose="kali.flash").split(".")[0]
    client.cookies.clear()
    response = client.get("/", headers={"Cookie": f"{COOKIE}={forged}.{signature}"})
    assert response.text == "<main>none</main>"
    response = client.get("/", headers={"Cookie": f"{COOKIE}={payload}.{signature}"})
    assert response.text == "<main><p class=info>Saved.</p></main>"


def test_a_failed_request_changes_nothing() -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)
    response = client.post("/fails")
    assert response.status == 500 and set_cookie(response) is None
    assert client.get("/").text == "<main>none</main>"
    client.post("/save")
    response = client.get("/read-then-fail")
    assert response.status == 503 and set_cookie(response) is None
    assert client.get("/").text == "<main><p class=info>Saved.</p></main>"  # still there


def test_without_the_middleware_the_mistake_is_named() -> None:
    app = kali.App()

    @app.post("/save")
    def save(request: kali.Request) -> str:
        kali.flash(request, "Saved.")
        return "ok"

    with pytest.raises(RuntimeError, match=r"app\.use\(kali\.flash_messages\.middleware\)"):
        TestClient(app).post("/save")


def test_flash_takes_text() -> None:
    app = kali.App()
    app.use(flash_messages.middleware)

    @app.post("/save")
    def save(request: kali.Request) -> str:
        kali.flash(request, 42)  # type: ignore[arg-type]
        return "ok"

    with pytest.raises(TypeError, match="as str"):
        TestClient(app).post("/save")


def test_render_gives_escaped_safe_markup() -> None:
    html = flash_messages.render([Message("a < b", "error"), Message("ok")])
    assert str(html) == (
        '<ul class="flash-messages" role="status">\n'
        '<li class="flash flash-error">a &lt; b</li>\n'
        '<li class="flash flash-info">ok</li>\n'
        "</ul>\n"
    )
    assert flash_messages.render([]) == []
    # In a template it is inserted as it is, not escaped a second time.
    assert Template("<body>{flashes}</body>").render_str(flashes=html) == f"<body>{html}</body>"
    assert str(Message("Saved.")) == "Saved."


def flash_app(texts: list[tuple[str, str]]) -> kali.App:
    app = kali.App()
    app.use(flash_messages.middleware)

    @app.post("/flash")
    def flash(request: kali.Request) -> kali.Response:
        for category, text in texts:
            kali.flash(request, text, category)
        return kali.Response.redirect("/", 303)

    @app.get("/")
    def show(request: kali.Request) -> kali.Response:
        found = flash_messages.messages(request)
        return kali.Response.json([[m.category, m.text] for m in found])

    return app


def cookie_size(response: TestResponse) -> int:
    cookie = set_cookie(response)
    assert cookie is not None
    return len(cookie.split(";", 1)[0])


def test_too_many_messages_drop_the_oldest(caplog: pytest.LogCaptureFixture) -> None:
    texts = [("info", f"Message number {i}: " + "x" * 100) for i in range(100)]
    client = TestClient(flash_app(texts))
    assert cookie_size(client.post("/flash")) <= MAX_COOKIE_SIZE
    shown = client.get("/").json()
    assert 10 < len(shown) < 100
    assert shown == [list(item) for item in texts[-len(shown) :]]  # the newest are kept
    assert "older message(s) dropped" in caplog.text


def test_a_message_too_long_is_cut(caplog: pytest.LogCaptureFixture) -> None:
    long = 'é"<' * 3000
    client = TestClient(flash_app([("info", "short"), ("error", long)]))
    assert cookie_size(client.post("/flash")) <= MAX_COOKIE_SIZE
    ((category, text),) = client.get("/").json()
    assert category == "error"
    assert text.endswith("…") and long.startswith(text[:-1]) and len(text) > 500
    assert "characters was cut to" in caplog.text


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=1500)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["info", "error", "a b"]), _text), min_size=1, max_size=8)
)
def test_any_messages_round_trip_or_fit(texts: list[tuple[str, str]]) -> None:
    client = TestClient(flash_app(texts))
    assert cookie_size(client.post("/flash")) <= MAX_COOKIE_SIZE
    shown = [tuple(item) for item in client.get("/").json()]
    if shown == texts:
        return
    # Too big for one cookie: the newest messages are kept whole, the first kept one maybe cut.
    assert shown and len(shown) <= len(texts)
    kept = texts[-len(shown) :]
    assert shown[1:] == kept[1:]
    category, text = shown[0]
    assert category == kept[0][0]
    assert text == kept[0][1] or (text.endswith("…") and kept[0][1].startswith(text[:-1]))
    assert client.get("/").json() == []


# -- with the guard, over real sockets, in a browser ---------------------------------------


def datebook(path: Path) -> kali.App:
    db = kali.sqlite.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS contact (name TEXT NOT NULL)")
    app = kali.App()
    app.use(kali.sqlite.guard(db))
    app.use(flash_messages.middleware)
    page = Template(
        "<!doctype html><title>Contacts</title>{flashes}<ul>{for c in contacts}<li>{c['name']}"
        "</li>{end}</ul><form method=post action=/add><input name=name><button>Add</button>"
        "</form><form method=post action=/broken><button id=broken>Broken</button></form>"
    )

    @app.get("/")
    def index(request: kali.Request) -> kali.ResponseValue:
        contacts = db.execute("SELECT name FROM contact ORDER BY rowid").fetchall()
        return page(
            contacts=contacts, flashes=flash_messages.render(flash_messages.messages(request))
        )

    @app.post("/add")
    def add(request: kali.Request, name: str) -> kali.Response:
        with kali.sqlite.transaction(db):
            db.execute("INSERT INTO contact (name) VALUES (?)", (name,))
        kali.flash(request, f"Added {name}.", "success")
        return kali.Response.redirect("/", 303)

    @app.post("/broken")
    def broken(request: kali.Request) -> kali.Response:
        db.execute("INSERT INTO contact (name) VALUES ('never')")
        kali.flash(request, "Saved.")  # a lie the guard keeps from the user
        return kali.Response.redirect("/", 303)

    return app


def test_flash_and_guard_over_real_sockets(live_server: ServerFactory, tmp_path: Path) -> None:
    path = tmp_path / "datebook.sqlite3"
    server = live_server(datebook(path))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    cookies: dict[str, str] = {}

    def send(method: str, target: str, body: str = "") -> tuple[int, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            if "Max-Age=0" in value:
                cookies.pop(name, None)
            else:
                cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    try:
        assert send("POST", "/broken")[0] == 500
        assert "Saved." not in send("GET", "/")[1]
        assert send("POST", "/add", "name=Ada+%3CL%3E")[0] == 303
        status, text = send("GET", "/")
        assert status == 200
        assert '<li class="flash flash-success">Added Ada &lt;L&gt;.</li>' in text
        assert "<li>Ada &lt;L&gt;</li>" in text
        assert "Added" not in send("GET", "/")[1]  # a reload does not show it again
    finally:
        conn.close()
    other = sqlite3.connect(path)
    assert other.execute("SELECT name FROM contact").fetchall() == [("Ada <L>",)]
    other.close()


@pytest.mark.browser
def test_flash_in_a_browser(live_server: ServerFactory, tmp_path: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    server = live_server(datebook(tmp_path / "datebook.sqlite3"))
    url = f"http://127.0.0.1:{server.port}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            page.fill("input[name=name]", "Grace")
            page.click("text=Add")
            page.wait_for_selector(".flash-success")
            assert page.text_content(".flash-success") == "Added Grace."
            assert page.url == url  # after the redirect
            page.goto(url + "elsewhere")  # another page (a 404), then Back
            page.go_back()
            page.wait_for_selector("text=Grace")
            assert page.query_selector(".flash") is None  # asked again, not kept: shown once
            page.go_forward()
            page.go_back()
            assert page.query_selector(".flash") is None
            page.reload()
            assert page.query_selector(".flash") is None
            assert page.text_content("ul:not(.flash-messages) li") == "Grace"
            page.click("#broken")
            page.wait_for_selector("text=Your change was not saved")
            page.goto(url)
            assert page.query_selector(".flash") is None
            cookies = page.context.cookies()
            assert all(c["name"] != COOKIE for c in cookies)
        finally:
            browser.close()
