"""Form bodies: urlencoded and multipart."""

from __future__ import annotations

import io

import pytest

import kali
from kali.forms import parse_multipart
from kali.testing import encode_multipart


def test_urlencoded_form() -> None:
    request = kali.Request(
        "POST",
        "/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"name=J%C3%BCrgen+X&tag=1&tag=2",
    )
    assert request.form["name"] == "Jürgen X"
    assert request.form.get_all("tag") == ["1", "2"]


def test_multipart_form_with_files() -> None:
    body, content_type = encode_multipart(
        {"title": "Été"}, {"doc": ("notes.txt", b"line1\r\n--not-a-boundary\r\n", "text/plain")}
    )
    request = kali.Request("POST", "/", headers={"content-type": content_type}, body=body)
    form = request.form
    assert form["title"] == "Été"
    upload = form.file("doc")
    assert upload is not None
    assert (upload.filename, upload.content_type) == ("notes.txt", "text/plain")
    assert upload.read() == b"line1\r\n--not-a-boundary\r\n"
    request.close()
    assert upload.file.closed


def test_multipart_streams_in_small_reads() -> None:
    # Boundaries split across reads are still found.
    content = bytes(range(256)) * 1000
    body, content_type = encode_multipart({"a": "1"}, {"f": ("f.bin", content)})
    boundary = content_type.split("boundary=")[1].encode()

    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(7)

    form = parse_multipart(Trickle(body), boundary)
    upload = form.file("f")
    assert upload is not None and upload.read() == content and form["a"] == "1"
    upload.close()


@pytest.mark.parametrize(
    "body",
    [
        b"--B\r\nContent-Disposition: form-data; name=a\r\n\r\nno end",
        b"--B\r\nNo-Colon\r\n\r\nx\r\n--B--",
        b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--",
        b"garbage without a boundary",
    ],
)
def test_malformed_multipart_is_a_400(body: bytes) -> None:
    with pytest.raises(kali.HTTPError) as info:
        parse_multipart(io.BytesIO(body), b"B")
    assert info.value.status == 400
