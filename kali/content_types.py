"""The Content-Type of a file, from its name: one answer for static files and `Response.file`."""

from __future__ import annotations

import mimetypes

_TYPES = mimetypes.MimeTypes()
"""Python's built-in table only, so the answer does not depend on the machine (a Windows registry
may map .js to text/plain, which browsers refuse for module scripts), plus the types a web page
needs that it lacks or spells in an older way.
"""
for _extension, _type in (
    (".js", "text/javascript"),  # RFC 9239
    (".mjs", "text/javascript"),
    (".map", "application/json"),
    (".md", "text/markdown"),
    (".webp", "image/webp"),
    (".woff", "font/woff"),
    (".woff2", "font/woff2"),
    (".ttf", "font/ttf"),
    (".otf", "font/otf"),
):
    _TYPES.add_type(_type, _extension)
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
}
_UTF8 = frozenset(
    {
        "application/json",
        "application/manifest+json",
        "application/xml",
        "application/javascript",
        "image/svg+xml",
    }
)


def content_type(name: str) -> str:
    """The `Content-Type` kali sends for a file: by [`StaticFiles`][kali.staticfiles.StaticFiles]
    and by [`Response.file`][kali.Response.file].

    Guessed from the name's extension with Python's own `mimetypes` table (not
    the machine's), with `; charset=utf-8` for text types. A compressed file
    (`data.csv.gz`) is sent as what it is (`application/gzip`), never with a
    `Content-Encoding` that would make the browser unpack it; an unknown extension is
    `application/octet-stream`.

    Args:
        name: a file name or path.

    Returns:
        The header's value, such as `"text/css; charset=utf-8"` or `"image/png"`.
    """
    guessed, encoding = _TYPES.guess_type(name, strict=False)
    if encoding is not None:
        return _COMPRESSED.get(encoding, "application/octet-stream")
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed in _UTF8:
        return guessed + "; charset=utf-8"
    return guessed


__all__ = ["content_type"]
