"""The error taxonomy: client errors carry a status, developer errors are configuration errors."""

from __future__ import annotations

import pytest

import kali
from kali.errors import ConfigurationError, HTTPError, ProtocolError, reason_phrase
from kali.formlets import FormDefinitionError
from kali.multidict import MissingKey
from kali.routing import RouteError


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
    assert issubclass(FormDefinitionError, Exception)


def test_reason_phrases() -> None:
    assert reason_phrase(404) == "Not Found" and reason_phrase(599) == "Unknown"
