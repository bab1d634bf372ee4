"""Every example works through the test client."""

from __future__ import annotations

import sys
from pathlib import Path

from kali.testing import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))


def test_intro() -> None:
    from intro import hello

    client = TestClient(hello)
    assert "Hello, world!" in client.get("/").text
    assert "Hello, &lt;b&gt;!" in client.get("/?name=<b>").text


def test_demo_notes_round_trip() -> None:
    from demo import Notes

    client = TestClient(Notes(":memory:"))
    assert "No notes yet" in client.get("/").text
    added = client.post("/", data={"text": "first <note>"})
    assert added.status == 303 and added.headers["location"] == "/"
    page = client.get("/").text
    assert "first &lt;note&gt;" in page
    assert client.post("/", data={"text": "  "}).status == 400
    assert client.get("/static/style.css").status == 200
    assert client.post("/delete/1").status == 303
    assert "No notes yet" in client.get("/").text
    assert client.get("/missing").status == 404
