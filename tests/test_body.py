"""The request-body buffer: in memory while small, in a file beyond, read lazily from WSGI."""

from __future__ import annotations

import io

from kali.body import BodyBuffer


def test_small_bodies_stay_in_memory() -> None:
    buffer = BodyBuffer(spill_size=10)
    for piece in (b"ab", b"cd", b""):
        buffer.write(piece)
    assert (buffer.size, buffer.spilled, buffer.getvalue()) == (4, False, b"abcd")
    assert buffer.stream().read() == b"abcd"


def test_large_bodies_spill_to_a_temporary_file() -> None:
    buffer = BodyBuffer(spill_size=10)
    for _ in range(5):
        buffer.write(b"0123")
    assert buffer.spilled and buffer.size == 20
    assert buffer.getvalue() == b"0123" * 5
    stream = buffer.stream()
    assert stream.fileno() >= 0 and stream.read() == b"0123" * 5
    buffer.close()
    assert stream.closed


def test_a_lazy_buffer_reads_only_when_asked_and_only_its_length() -> None:
    source = io.BytesIO(b"hello world and more")
    buffer = BodyBuffer.from_reader(source.read, 11)
    assert source.tell() == 0  # nothing read yet
    assert buffer.getvalue() == b"hello world"
    assert source.tell() == 11
    unread = io.BytesIO(b"never")
    lazy = BodyBuffer.from_reader(unread.read, None)
    lazy.close()
    assert unread.tell() == 0
