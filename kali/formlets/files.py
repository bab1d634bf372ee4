"""[`File`][kali.formlets.File]: an uploaded file, as a
[`kali.forms.UploadFile`][kali.forms.UploadFile]."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal, TypeVar, Unpack, overload

from ..forms import UploadFile
from .errors import Invalid, a_type
from .field import AttrValue, Field, FieldOptions

__all__ = ["File"]

_V = TypeVar("_V")


def _size(count: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return "1 byte" if count == 1 else f"{count} bytes"


class _FileOptions(FieldOptions, total=False):
    accept: str | Sequence[str] | None
    max_size: int | None


class File(Field[_V]):
    """A file chosen by the user; the value is the [`UploadFile`][kali.forms.UploadFile].

    A form with a `File` is drawn with `enctype="multipart/form-data"`, which is what makes the
    browser send the file. With `required=False` the value is `None` when no file was chosen.
    A browser cannot be told which file to send again, so when the form comes back because of
    another field's message, the file input is empty and says so (the `again` message).
    Files are not read from records and not part of [`Form.record`][kali.formlets.Form.record]:
    store the file's content (`value.read()`, `value.filename`) as your app needs.

    Args:
        required: refuse a form sent without a file (the default).
        accept: the kinds of file offered by the browser's file dialog (mirrored as `accept`):
            suffixes (`".pdf"`) and media types (`"image/png"`, `"image/*"`), as a list or
            one comma-separated string. They are checked against the file's name and the type
            the browser claims: a convenience for the user, not a check of the content.
        max_size: the largest file accepted, in bytes.
        label: see [`Field`][kali.formlets.Field], like `help`, `attrs`, `messages`.

    Messages: `required`, `accept`, `max_size`, `enctype` (the page's form lacks the
    multipart encoding), `again`.
    """

    default_messages: ClassVar[Mapping[str, str]] = {
        "required": "Choose a file.",
        "accept": "Choose a file of type {accept}.",
        "max_size": "Choose a file of at most {size}.",
        "enctype": (
            'No file arrived: the page\'s form needs enctype="multipart/form-data" to send one.'
        ),
        "again": "Choose the file again: a browser cannot keep it when a form is shown again.",
    }
    input_type: ClassVar[str] = "file"
    keeps_input = False

    @overload
    def __init__(
        self: File[UploadFile],
        *,
        required: Literal[True] = True,
        **options: Unpack[_FileOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: File[UploadFile | None], *, required: bool, **options: Unpack[_FileOptions]
    ) -> None: ...
    def __init__(
        self,
        *,
        required: bool = True,
        accept: str | Sequence[str] | None = None,
        max_size: int | None = None,
        label: str | None = None,
        help: str = "",
        attrs: Mapping[str, AttrValue] | None = None,
        messages: Mapping[str, str] | None = None,
    ) -> None:
        kinds = accept.split(",") if isinstance(accept, str) else list(accept or ())
        self.accept = [kind.strip().lower() for kind in kinds if kind.strip()]
        for kind in self.accept:
            if not (kind.startswith(".") or "/" in kind):
                raise self.declaration_error(
                    f"accept has {kind!r}, which is neither a suffix nor a media type",
                    'write suffixes with their dot (".pdf") and types with a slash ("image/*")',
                )
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise self.declaration_error(
                f"max_size={max_size!r} is not a number of bytes",
                "give a whole number of bytes (max_size=2 * 1024 * 1024), or leave it out",
            )
        self.max_size = max_size
        super().__init__(required=required, label=label, help=help, attrs=attrs, messages=messages)

    def value_description(self) -> str:
        return "an UploadFile"

    def _accepts(self, upload: UploadFile) -> bool:
        name = upload.filename.lower()
        media = upload.content_type.partition(";")[0].strip().lower()
        for kind in self.accept:
            if kind.startswith("."):
                if name.endswith(kind):
                    return True
            elif kind.endswith("/*"):
                if media.startswith(kind[:-1]):
                    return True
            elif media == kind:
                return True
        return False

    def clean(self, raw: Sequence[str], files: Sequence[UploadFile]) -> _V:
        # A file input left empty still sends a part, with an empty file name.
        uploads = [upload for upload in files if upload.filename]
        if not uploads:
            if any(raw):
                # The file's name arrived as text: the form was not sent as multipart.
                raise Invalid(self.message("enctype"))
            if self.required:
                raise Invalid(self.message("required"))
            return None  # type: ignore[return-value]
        upload = uploads[0]
        if self.accept and not self._accepts(upload):
            raise Invalid(self.message("accept", accept=", ".join(self.accept)))
        if self.max_size is not None:
            file = upload.file
            position = file.tell()
            size = file.seek(0, os.SEEK_END)
            file.seek(position)
            if size > self.max_size:
                raise Invalid(self.message("max_size", size=_size(self.max_size)))
        return upload  # type: ignore[return-value]

    def show(self, value: _V) -> list[str]:
        return []

    def coerce(self, value: object) -> _V:
        if value is None or isinstance(value, UploadFile):
            return value  # type: ignore[return-value]
        raise Invalid(f"{a_type(value)} is not an UploadFile")

    def html_attributes(self) -> list[tuple[str, AttrValue]]:
        return [("required", self.required), ("accept", ",".join(self.accept) or None)]
