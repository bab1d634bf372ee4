"""Reverse routing: building a URL from a route and parameter values."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from .converters import Converter, is_greedy
from .endpoint import Endpoint
from .errors import BuildError, where
from .rules import Param
from .tree import trusts_convert

SEGMENT_SAFE = "!$&'()*+,;=:@"
"""Characters left as they are in a path segment (RFC 3986 pchar, minus "/")."""
_PATH_SAFE = SEGMENT_SAFE + "/"


def build_path(route: Endpoint, values: Mapping[str, Any]) -> str:
    """The path of `route` with `values` converted and percent-encoded.

    Every parameter of the route must be in `values`. Raises
    `BuildError` naming the parameter when a value is rejected.
    """
    out: list[str] = []
    for segment in route.segments:
        texts: list[str] = []
        for part in segment:
            if isinstance(part, str):
                texts.append(part)
                continue
            converter = route.params[part.name]
            value = values[part.name]
            try:
                text = converter.to_url(value)
            except (ValueError, TypeError) as exc:
                raise _rejected(route, part, value, str(exc) or type(exc).__name__) from None
            if not isinstance(text, str):
                raise _rejected(route, part, value, f"to_url returned {type(text).__name__}")
            if is_greedy(converter):
                pieces = text.split("/")
                if any(p in ("", ".", "..") for p in pieces[:-1]) or pieces[-1] in (".", ".."):
                    raise _rejected(
                        route, part, value, "a path cannot have empty, '.' or '..' segments"
                    )
            elif text in (".", ".."):
                raise _rejected(route, part, value, "'.' and '..' are not segment values")
            elif len(segment) == 1 and not _reads_back(converter, text):
                raise _rejected(route, part, value, f"{text!r} would not be matched back")
            texts.append(text)
        if len(segment) > 1:
            _check_mixed(route, segment, texts, values)
        out.append(
            "".join(
                quote(
                    t,
                    safe=_PATH_SAFE
                    if len(segment) == 1
                    and isinstance(segment[0], Param)
                    and is_greedy(route.params[segment[0].name])
                    else SEGMENT_SAFE,
                )
                for t in texts
            )
        )
    return "/" + "/".join(out)


def _reads_back(converter: Converter[Any], text: str) -> bool:
    """Whether matching would accept `text` for a whole-segment parameter."""
    if not trusts_convert(converter) and re.fullmatch(converter.regex, text) is None:
        return False
    try:
        converter.convert(text)
    except ValueError:
        return False
    return True


def _check_mixed(
    route: Endpoint, segment: tuple[str | Param, ...], texts: list[str], values: Mapping[str, Any]
) -> None:
    """Raise BuildError unless matching the built segment gives back the given values.

    `/<a>-<b>` with `a="x"`, `b="y-z"` builds `x-y-z`, which matches as
    `a="x-y"`, `b="z"`: the URL would reach the handler with other values.
    """
    params = [p for p in segment if isinstance(p, Param)]
    names = ", ".join(p.name for p in params)
    regex = "".join(
        f"({route.params[p.name].regex})" if isinstance(p, Param) else re.escape(p) for p in segment
    )
    text = "".join(texts)
    found = re.fullmatch(regex, text)
    if found is None:
        raise BuildError(
            f"cannot build {route.pattern!r}: the values of {names} give the segment "
            f"{text!r}, which the pattern would not match back"
        )
    for param, group in zip(params, found.groups(), strict=True):
        try:
            same = route.params[param.name].convert(group) == values[param.name]
        except ValueError:
            same = False
        if not same:
            given = ", ".join(f"{p.name}={values[p.name]!r}" for p in params)
            raise BuildError(
                f"cannot build {route.pattern!r}: the values {given} give the segment "
                f"{text!r}, which matches back with {param.name}={group!r}; the URL would "
                f"reach the handler with other values of {names}"
            )


def _rejected(route: Endpoint, part: Param, value: Any, why: str) -> BuildError:
    return BuildError(
        f"cannot build {route.pattern!r} (handler {where(route.handler)}): the value {value!r} "
        f"of parameter {part.name!r} is rejected by the {part.converter} converter: {why}"
    )


def query_string(extra: Mapping[str, Any]) -> str:
    """`a=1&b=x&b=y` for extra `url_for` arguments (lists repeat, `None` is skipped)."""
    pairs: list[tuple[str, str]] = []
    for key, value in extra.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, _text(v)) for v in value)
        else:
            pairs.append((key, _text(value)))
    return urlencode(pairs)


def _text(value: Any) -> str:
    # As the binder parses a query value back: a bool as true/false, an Enum by its value.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def choose(candidates: Iterable[Endpoint], given: Mapping[str, Any], target: str) -> Endpoint:
    """The first candidate whose parameters are all in `given` (or a BuildError)."""
    routes = list(candidates)
    for route in routes:
        if all(name in given for name in route.params):
            return route
    route = routes[0]
    missing = [name for name in route.params if name not in given]
    where_ = f"(handler {where(route.handler)})"
    if len(routes) == 1:
        raise BuildError(
            f"cannot build a URL for {target}: route {route.pattern!r} {where_} needs the "
            f"parameter {missing[0]!r}, which was not given"
        )
    options = "; ".join(f"{r.pattern!r} needs {sorted(r.params) or 'nothing'}" for r in routes)
    raise BuildError(
        f"cannot build a URL for {target}: no route has all its parameters given "
        f"(missing {missing[0]!r} for {route.pattern!r}); routes: {options}"
    )


__all__ = ["SEGMENT_SAFE", "build_path", "choose", "query_string"]
