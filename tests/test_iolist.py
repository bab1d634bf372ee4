"""Iolists: flattened into bytes pieces, never joined."""

from __future__ import annotations

import pytest

from kali.iolist import to_bytes, to_chunks


def test_iolists_are_flattened_without_joining() -> None:
    body = ["<p>", ["a", b"b", ("c", [])], "", "é"]
    assert to_chunks(body) == [b"<p>", b"a", b"b", b"c", "é".encode()]
    assert to_bytes(body) == "<p>abcé".encode()
    with pytest.raises(TypeError, match="not int"):
        to_chunks(["a", 1])  # type: ignore[list-item]
