"""The reading list's tests. Run them with `python -m pytest test_books.py`."""

import re
from pathlib import Path

from kali import formlets
from kali.testing import TestClient, TestResponse

from books import make_app


def new_client(tmp_path: Path) -> TestClient:
    """A browser of our own, on a new database in a folder pytest made for the test."""
    return TestClient(make_app(tmp_path / "books.sqlite3"))


def add(client: TestClient, **fields: str) -> TestResponse:
    """Send the "Add a book" form, as a browser does (with its CSRF token)."""
    return client.post("/new", data={**fields, "_csrf": formlets.csrf_token()})


def titles(page: TestResponse) -> list[str]:
    """The titles in the list on the page, in order."""
    return re.findall(r'<li><a href="/book/\d+">([^<]*)</a>', page.text)


def test_the_list_shows_the_sample_books(tmp_path: Path) -> None:
    page = new_client(tmp_path).get("/")
    assert page.status == 200
    assert titles(page) == ["Small Gods", "The Left Hand of Darkness"]


def test_a_missing_book_is_not_found(tmp_path: Path) -> None:
    client = new_client(tmp_path)
    assert client.get("/book/99").status == 404
    assert client.get("/book/one").status == 404


def test_adding_a_book(tmp_path: Path) -> None:
    client = new_client(tmp_path)
    response = add(client, title="Dune", author="Frank Herbert", pages="412")
    assert response.status == 303
    page = client.get(response.headers["location"])
    assert "<h1>Dune</h1>" in page.text
    assert "412 pages" in page.text
    assert "Added “Dune”." in page.text  # the flash message, shown once
    assert "Added" not in client.get(response.headers["location"]).text


def test_a_book_needs_a_title(tmp_path: Path) -> None:
    client = new_client(tmp_path)
    response = add(client, title="", author="Frank Herbert", pages="many")
    assert response.status == 422
    assert "Fill in this field." in response.text
    assert "Enter a whole number." in response.text
    assert 'value="Frank Herbert"' in response.text  # what the user typed is kept
    assert len(titles(client.get("/"))) == 2  # and nothing was saved


def test_titles_are_escaped(tmp_path: Path) -> None:
    client = new_client(tmp_path)
    add(client, title="<script>alert(1)</script>", author="Mallory")
    page = client.get("/")
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_editing_a_book(tmp_path: Path) -> None:
    client = new_client(tmp_path)
    form = client.get("/book/2/edit")
    assert 'value="Small Gods"' in form.text
    response = client.post(
        "/book/2/edit",
        data={
            "title": "Small Gods",
            "author": "Terry Pratchett",
            "read": "on",
            "_csrf": formlets.csrf_token(),
        },
    )
    assert response.status == 303
    page = client.get("/book/2")
    assert "You have read it." in page.text
    assert "Saved." in page.text


def test_deleting_a_book(tmp_path: Path) -> None:
    client = new_client(tmp_path)
    assert client.post("/book/2/delete").status == 303
    page = client.get("/")
    assert titles(page) == ["The Left Hand of Darkness"]
    assert "Deleted “Small Gods”." in page.text
    assert client.get("/book/2").status == 404


def test_the_list_is_in_alphabetical_order(tmp_path: Path) -> None:
    client = new_client(tmp_path)
    add(client, title="dune", author="Frank Herbert")  # typed without a capital
    assert titles(client.get("/")) == ["dune", "Small Gods", "The Left Hand of Darkness"]
