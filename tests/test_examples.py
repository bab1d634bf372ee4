"""Every example works through the test client, templates included."""

from __future__ import annotations

import sys
from pathlib import Path

import kali
from kali.testing import TestClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))


def test_intro() -> None:
    from intro import app

    client = TestClient(app)
    page = client.get("/").text
    assert "Hello, world!" in page and 'href="/square/12"' in page
    assert "Hello, &lt;b&gt;!" in client.get("/?name=<b>").text
    assert client.get("/square/12").text == "<p>12 squared is 144.</p>"
    assert client.get("/square/twelve").status == 404


def test_demo_notes_round_trip() -> None:
    from demo import make_app

    client = TestClient(make_app(":memory:"))
    assert "No notes yet" in client.get("/").text
    added = client.post("/", data={"text": "first <note>"})
    assert added.status == 303 and added.headers["location"] == "/"
    page = client.get("/").text
    assert "first &lt;note&gt;" in page
    assert 'action="/note/1/delete"' in page
    assert client.post("/", data={"text": "  "}).status == 400
    assert client.get("/static/style.css").status == 200
    assert client.post("/note/1/delete").status == 303
    assert "No notes yet" in client.get("/").text
    assert client.get("/missing").status == 404
    assert client.get("/note/1/delete").status == 405


def test_demo_templates_compile() -> None:
    # Every template of the examples compiles (errors would name file and line).
    folder = kali.TemplateFolder(EXAMPLES / "templates")
    for path in sorted((EXAMPLES / "templates").glob("*.html")):
        assert folder(path.stem).source
