"""The one request-body buffer: in memory while small, in a temporary file beyond.

The server writes a body into a [`BodyBuffer`][kali.body.BodyBuffer] as it arrives;
the WSGI adapter makes one that reads `wsgi.input` only when the handler first asks
for the body. Either way the handler sees the same `Request.body`,
`Request.stream` and `Request.form`.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import IO, Final

SPILL_SIZE: Final = 1024 * 1024
"""Request bodies larger than this many bytes are kept in a temporary file."""
_READ_SIZE: Final = 64 * 1024


class BodyBuffer:
    """Bytes of one request body: a `bytearray` up to `spill_size`, then a temporary file.

    A buffer made by [`from_reader`][kali.body.BodyBuffer.from_reader] is filled on
    first use, so a handler that never reads the body never pays for it.
    """

    __slots__ = ("_data", "_file", "_reader", "size", "spill_size")

    def __init__(self, spill_size: int = SPILL_SIZE) -> None:
        self.spill_size = spill_size
        self.size = 0
        """Bytes written so far."""
        self._data = bytearray()
        self._file: IO[bytes] | None = None
        self._reader: Callable[[], None] | None = None

    @classmethod
    def from_reader(
        cls, read: Callable[[int], bytes], length: int | None, spill_size: int = SPILL_SIZE
    ) -> BodyBuffer:
        """A buffer that reads `length` bytes (or, with `None`, to the end) with `read`
        the first time its content is asked for."""
        buffer = cls(spill_size)

        def fill() -> None:
            remaining = length
            while remaining is None or remaining > 0:
                chunk = read(_READ_SIZE if remaining is None else min(remaining, _READ_SIZE))
                if not chunk:
                    break
                buffer.write(chunk)
                if remaining is not None:
                    remaining -= len(chunk)

        buffer._reader = fill
        return buffer

    def write(self, data: bytes) -> None:
        """Append `data`, moving everything to a temporary file past `spill_size`."""
        self.size += len(data)
        if self._file is not None:
            self._file.write(data)
            return
        self._data += data  # one buffer, however small the pieces
        if len(self._data) > self.spill_size:
            self._file = tempfile.TemporaryFile()
            self._file.write(self._data)
            self._data = bytearray()

    def _filled(self) -> None:
        reader = self._reader
        if reader is not None:
            self._reader = None
            reader()

    @property
    def spilled(self) -> bool:
        """Whether the body is in a temporary file rather than in memory."""
        self._filled()
        return self._file is not None

    def getvalue(self) -> bytes:
        """The whole body as `bytes` (read back from disk when spilled)."""
        self._filled()
        if self._file is None:
            return bytes(self._data)
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(0)
        return data

    def stream(self) -> IO[bytes]:
        """The body as a binary file positioned at its start."""
        self._filled()
        if self._file is not None:
            self._file.seek(0)
            return self._file
        return io.BytesIO(self._data)

    def close(self) -> None:
        """Delete the temporary file, if any. Unread lazy content is never read."""
        self._reader = None
        if self._file is not None:
            self._file.close()
            self._file = None
        self._data = bytearray()

    def __repr__(self) -> str:
        where = "lazy" if self._reader else "file" if self._file else "memory"
        return f"<BodyBuffer {self.size} bytes, {where}>"


__all__ = ["SPILL_SIZE", "BodyBuffer"]
