"""Multi-value mappings of what the client sent: MultiDict, Headers, EnvironHeaders."""

from __future__ import annotations

import pytest

from kali import HTTPError
from kali.multidict import EnvironHeaders, Headers, MissingKey, MultiDict, QueryParams


def test_first_value_wins_and_every_value_is_kept() -> None:
    md = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert md["a"] == "1" and md.get_all("a") == ["1", "3"]
    assert list(md) == ["a", "b"] and len(md) == 2
    assert md.multi_items() == [("a", "1"), ("b", "2"), ("a", "3")]
    assert md.get("c") is None and md.get("c", "x") == "x"
    assert "a" in md and "c" not in md and 3 not in md


def test_many_pairs_are_indexed_once_and_give_the_same_answers() -> None:
    pairs = [(f"k{i % 20}", str(i)) for i in range(100)]
    md = MultiDict(pairs)
    assert md["k3"] == "3" and md.get_all("k3") == ["3", "23", "43", "63", "83"]
    assert md.get("k99") is None


def test_a_missing_key_is_a_keyerror_and_a_400_naming_it() -> None:
    with pytest.raises(MissingKey) as info:
        QueryParams([("a", "1")])["page"]
    error = info.value
    assert isinstance(error, KeyError) and isinstance(error, HTTPError)
    assert error.status == 400 and str(error) == "400 Bad Request: Missing query parameter 'page'"
    with pytest.raises(KeyError, match="Missing header 'X-Token'"):
        Headers([])["X-Token"]


def test_header_names_are_case_insensitive() -> None:
    headers = Headers([("content-type", "text/plain"), ("X-Many", "1"), ("x-many", "2")])
    assert headers["Content-Type"] == "text/plain"
    assert headers.get("X-MANY") == "1" and headers.get_all("x-Many") == ["1", "2"]
    assert list(headers) == ["content-type", "x-many"]


def test_environ_headers_read_the_environ_on_demand() -> None:
    environ = {
        "HTTP_USER_AGENT": "test",
        "HTTP_X_FORWARDED_FOR": "a",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "",
        "PATH_INFO": "/",
    }
    headers = EnvironHeaders(environ)
    assert headers.get("User-Agent") == "test" and headers["x-forwarded-for"] == "a"
    assert headers.get("content-type") == "text/plain"
    assert headers.get("content-length") is None  # an empty CONTENT_LENGTH is no header
    assert sorted(headers) == ["content-type", "user-agent", "x-forwarded-for"]
    assert headers == Headers(
        [("user-agent", "test"), ("x-forwarded-for", "a"), ("content-type", "text/plain")]
    )


def test_equality_and_no_hash() -> None:
    assert MultiDict([("a", "1")]) == MultiDict([("a", "1")])
    assert MultiDict([("a", "1")]) != MultiDict([("a", "2")])
    assert MultiDict([("a", "1")]) == {"a": "1"}
    with pytest.raises(TypeError):
        hash(MultiDict())
