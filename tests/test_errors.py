"""The error taxonomy: client errors carry a status, developer errors are configuration errors."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

import kali
from kali.errors import (
    ConfigurationError,
    HTTPError,
    ProtocolError,
    reason_phrase,
    source_location,
)
from kali.formlets import FormDefinitionError
from kali.multidict import MissingKey
from kali.routing import RouteError
from kali.templating import TemplateSyntaxError, UndefinedError


def test_client_errors_are_http_errors_with_a_status() -> None:
    assert issubclass(ProtocolError, HTTPError) and issubclass(MissingKey, HTTPError)
    error = ProtocolError(431, "Too many header fields")
    assert (error.status, error.message) == (431, "Too many header fields")
    assert str(HTTPError(404)) == "404 Not Found"
    assert str(HTTPError(400, "page must be a number")) == "400 Bad Request: page must be a number"
    with pytest.raises(ValueError, match="4xx or 5xx"):
        HTTPError(302)


def test_developer_errors_are_configuration_errors() -> None:
    assert issubclass(RouteError, ConfigurationError) and issubclass(RouteError, ValueError)
    assert kali.ConfigurationError is ConfigurationError
    assert not issubclass(ConfigurationError, HTTPError)
    assert issubclass(FormDefinitionError, ConfigurationError)
    assert issubclass(FormDefinitionError, ValueError)
    assert issubclass(TemplateSyntaxError, ConfigurationError)
    assert not issubclass(UndefinedError, ConfigurationError)  # met while rendering


def test_reason_phrases() -> None:
    assert reason_phrase(404) == "Not Found" and reason_phrase(599) == "Unknown"


def test_a_location_under_the_current_directory_is_shown_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert source_location(str(tmp_path / "books.py"), 8) == "books.py:8"
    assert source_location(str(tmp_path / "app" / "views.py"), 3) == os.path.join(
        "app", "views.py:3"
    )
    elsewhere = str(tmp_path.parent / "other" / "lib.py")
    assert source_location(elsewhere, 1) == f"{elsewhere}:1"
    assert source_location("<stdin>", 2) == "<stdin>:2"


def test_a_route_error_names_the_file_as_the_developer_ran_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "books.py"
    program.write_text(
        "import kali\napp = kali.App()\n\n@app.get('/')\ndef index() -> str:\n    return ''\n"
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RouteError, match=r"handler: index \(books\.py:4\)"):
        runpy.run_path(str(program))  # as `python books.py` runs it: __file__ is absolute
