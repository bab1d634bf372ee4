"""The server's options, spelled once."""

from __future__ import annotations

import dataclasses
import typing

import pytest

import kali
from kali.options import ServerOptions, ServerSettings, make_options


def test_the_keywords_and_the_options_object_agree() -> None:
    fields = {f.name for f in dataclasses.fields(ServerOptions)}
    assert set(typing.get_type_hints(ServerSettings)) == fields


def test_every_option_is_reachable_from_each_entry_point() -> None:
    import inspect

    for function in (kali.serve_http, kali.Server, kali.App.run):
        parameters = inspect.signature(function).parameters
        assert "options" in parameters and any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        ), function


def test_keywords_override_an_options_object() -> None:
    base = ServerOptions(port=9000, debug=True)
    assert make_options(base, {"port": 0}) == ServerOptions(port=0, debug=True)
    assert make_options(None, {"allowed_hosts": ["a.local"]}).allowed_hosts == ("a.local",)
    assert make_options(base, {}) is base


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"port": 99999}, "from 0 to 65535"),
        ({"port": -1}, "from 0 to 65535"),
        ({"port": "80"}, "must be an int"),
        ({"max_connections": 0}, "at least 1"),
        ({"allowed_hosts": "a.local"}, "a list of names"),
    ],
)
def test_mistakes_are_configuration_errors(settings: dict[str, object], message: str) -> None:
    with pytest.raises(kali.ConfigurationError, match=message):
        ServerOptions(**settings)  # type: ignore[arg-type]
