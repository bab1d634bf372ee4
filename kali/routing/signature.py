"""Reading a handler's signature at registration: which arguments come from
the path, which from the query string or the form body, and how each value is
converted.

The check runs once per route, when it is registered; what it returns (a
*binder*) is all that runs per request, and it is `None` when the handler
takes nothing but path parameters.

Where a value comes from: a path parameter from the path; any other parameter
from the query string, or, on a route that takes POST, PUT, PATCH or DELETE
and for a request whose body is a form, from the form — a form field wins over
a query parameter of the same name.
"""

from __future__ import annotations

import enum
import inspect
import itertools
import linecache
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import HTTPError
from ..forms import MAX_FIELDS
from ..request import Request
from . import problems
from .converters import INT_MAX, INT_MIN, Converter, output_type
from .endpoint import Binder
from .errors import SignatureMismatchError, route_error

FORM_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose requests may carry a form that handler parameters are read from."""

_UNRESOLVED: Any = object()
_MISSING: Any = object()
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_QUALIFIER = re.compile(r"'[^']*'|\"[^\"]*\"|\b[A-Za-z_][\w.]*\.(?=[A-Za-z_])")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse_int(text: str) -> int:
    # Strict: int() alone would take " 7", "1_000" and Unicode digits. Within SQLite's
    # INTEGER, so that a value from the query can always go into a query of the database.
    if not (text.isascii() and text.isdigit()) and _INT.fullmatch(text) is None:
        raise ValueError
    value = int(text)  # past Python's 4300 digits, a ValueError too
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError
    return value


def _parse_float(text: str) -> float:
    if _FLOAT.fullmatch(text) is None:
        raise ValueError
    return float(text)


def _parse_bool(text: str) -> bool:
    lower = text.lower()
    if lower in _TRUE:
        return True
    if lower in _FALSE:
        return False
    raise ValueError


def _parse_str(text: str) -> str:
    return text


_SCALARS: dict[Any, tuple[Callable[[str], Any], str]] = {
    str: (_parse_str, "a string"),
    int: (_parse_int, "an integer"),
    float: (_parse_float, "a number"),
    bool: (_parse_bool, "true/false, yes/no, on/off or 1/0"),
    Any: (_parse_str, "a string"),
    object: (_parse_str, "a string"),
}


class _QueryParam:
    __slots__ = ("default", "expected", "many", "name", "parse", "required", "text")

    def __init__(
        self,
        name: str,
        parse: Callable[[str], Any],
        expected: str,
        *,
        many: bool,
        default: Any,
        text: bool,
    ) -> None:
        self.name = name
        self.parse = parse
        self.expected = expected
        self.many = many
        self.default = default
        self.required = default is _MISSING
        self.text = text  # a str parameter: "" is a value, not an absence


def _hints(handler: Any, sig: inspect.Signature, cache: dict[Any, Any]) -> dict[str, Any]:
    """Annotations resolved to objects, as `typing.get_type_hints` would (string
    annotations, from `from __future__ import annotations`, are evaluated in the
    handler's module). One that cannot be resolved (a name imported only under
    `TYPE_CHECKING`, say) is _UNRESOLVED rather than an error. `cache` keeps
    each string's value per module, so a thousand handlers cost one `eval`."""
    func = getattr(handler, "__func__", handler)
    namespace: dict[str, Any] = getattr(func, "__globals__", None) or {}
    hints: dict[str, Any] = {}
    for name, param in sig.parameters.items():
        annotation = param.annotation
        if isinstance(annotation, str):
            key = (annotation, id(namespace))
            found = cache.get(key, _MISSING)
            if found is _MISSING:
                try:
                    found = eval(annotation, namespace)  # what get_type_hints does
                except Exception:
                    found = _UNRESOLVED
                cache[key] = found
                cache[("namespace", id(namespace))] = namespace  # keeps the id valid
            annotation = found
        hints[name] = annotation
    return hints


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0], True
    return annotation, False


def _scalar(annotation: Any) -> tuple[Callable[[str], Any], str] | None:
    found = _SCALARS.get(annotation)
    if found is not None:
        return found
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        members = annotation
        values = ", ".join(repr(str(m.value)) for m in members)

        def parse_enum(text: str) -> Any:
            for member in members:
                if str(member.value) == text:
                    return member
            raise ValueError

        return parse_enum, f"one of {values}"
    if typing.get_origin(annotation) is typing.Literal:
        choices = typing.get_args(annotation)
        if all(isinstance(c, str) for c in choices):
            allowed = frozenset(choices)

            def parse_literal(text: str) -> str:
                if text not in allowed:
                    raise ValueError
                return text

            return parse_literal, "one of " + ", ".join(repr(c) for c in choices)
    return None


def _query_param(name: str, annotation: Any, default: Any) -> tuple[_QueryParam | None, str]:
    """The query parameter for `name: annotation = default`, or None and why not."""
    if annotation is inspect.Parameter.empty or annotation is _UNRESOLVED:
        if annotation is _UNRESOLVED:
            return None, problems.unresolved_annotation()
        annotation = str
    inner, optional = _unwrap_optional(annotation)
    if optional and default is _MISSING:
        default = None
    many = False
    if typing.get_origin(inner) in (list, typing.List):  # noqa: UP006
        args = typing.get_args(inner)
        inner = args[0] if args else str
        many = True
        if default is _MISSING:
            default = ()
    scalar = _scalar(inner)
    if scalar is None:
        return None, problems.cannot_read(_type_name(annotation))
    parse, expected = scalar
    return (
        _QueryParam(name, parse, expected, many=many, default=default, text=parse is _parse_str),
        "",
    )


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    # "datetime.date | None" as "date | None", as mypy writes it; quoted text is kept.
    return _QUALIFIER.sub(lambda m: m[0] if m[0][0] in "'\"" else "", str(annotation))


def _compatible(declared: Any, produced: Any) -> bool:
    """Whether a parameter annotated `declared` accepts the converter's `produced` type."""
    if declared in (inspect.Parameter.empty, _UNRESOLVED, Any, object) or produced is object:
        return True
    if declared == produced:
        return True
    origin = typing.get_origin(declared)
    if origin is typing.Union or origin is types.UnionType:
        return any(_compatible(arg, produced) for arg in typing.get_args(declared))
    if isinstance(declared, type) and isinstance(produced, type):
        if issubclass(produced, declared):
            return True
        if produced is int and declared in (float, complex):  # PEP 484 numeric tower
            return True
    return False


def analyse(
    handler: Any,
    pattern: str,
    methods: tuple[str, ...],
    path_params: Mapping[str, Converter[Any]],
    cache: dict[Any, Any] | None = None,
) -> tuple[Binder | None, bool, Caller]:
    """Check `handler` against its route; return its query binder (`None` if
    unneeded), whether the path values may be passed by position (the handler's
    parameters after the request are the path parameters, in order), and the
    function that calls it for a match (`call(request, values)`).

    Raises `SignatureMismatchError` naming the route and `file:line`.
    """

    def fail(problem: str, fix: str) -> Exception:
        return route_error(
            SignatureMismatchError,
            problem,
            pattern=pattern,
            handler=handler,
            methods=methods,
            fix=fix,
        )

    params, hints = _request_first(handler, path_params, fail, cache)
    form = any(method in FORM_METHODS for method in methods)
    specs, var_keyword = _read_parameters(params[1:], hints, path_params, form, fail)
    names = tuple(path_params)
    leading = params[1 : 1 + len(names)]
    positional = (
        tuple(p.name for p in leading) == names
        and all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in leading)
        and (_as_declared(handler) or _takes_by_position(handler, len(names)))
    )
    if not specs and not var_keyword:
        return None, positional, _plain_caller(handler, names, positional)
    # **kwargs takes the other query keys, never the path's names or the request's.
    reserved = frozenset(names) | {params[0].name}
    binder = _make_binder(specs, var_keyword, form, reserved)
    if var_keyword or any(spec.many for spec in specs):
        return binder, positional, _bound_caller(handler, names, binder, positional)
    # PERF: every value passed by position when no parameter is keyword-only.
    # (a decorated handler's query values go by name: its wrapper may inject others)
    by_position = (
        positional
        and _as_declared(handler)
        and all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params[1:])
    )
    return binder, positional, _generated_caller(handler, names, specs, form, by_position)


_Fail = Callable[[str, str], Exception]


def _as_declared(handler: Any) -> bool:
    """Whether `handler` is called as `inspect.signature` reads it: not a
    decorator's wrapper (`functools.wraps`), nor one that sets `__signature__`."""
    return (
        getattr(handler, "__wrapped__", None) is None
        and getattr(handler, "__signature__", None) is None
    )


def _takes_by_position(handler: Any, count: int) -> bool:
    """Whether a decorated handler's own code takes the request and `count` more
    values by position (a wrapper taking `(request, **kwargs)` does not)."""
    function = getattr(handler, "__func__", handler)
    code = getattr(function, "__code__", None)
    if code is None:
        return True  # not Python code: as declared
    if code.co_flags & inspect.CO_VARARGS:
        return True
    bound = 1 if getattr(handler, "__self__", None) is not None else 0
    return bool(code.co_argcount - bound >= 1 + count)


def _request_first(
    handler: Any,
    path_params: Mapping[str, Converter[Any]],
    fail: _Fail,
    cache: dict[Any, Any] | None,
) -> tuple[list[inspect.Parameter], dict[str, Any]]:
    """The handler's parameters and resolved annotations, once its first
    parameter is known to take the request."""
    if not callable(handler):
        raise fail(f"the handler {handler!r} is not callable", "pass a function or a method")
    try:
        sig = inspect.signature(handler)
    except (TypeError, ValueError) as exc:
        raise fail(f"cannot read the handler's signature ({exc})", "use a function") from None
    params = list(sig.parameters.values())
    first_kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    if not params or params[0].kind not in first_kinds:
        raise fail(*problems.no_request())
    hints = _hints(handler, sig, {} if cache is None else cache)
    first = params[0]
    declared = hints.get(first.name, inspect.Parameter.empty)
    if _not_a_request(declared) or first.name in path_params:
        shown = None if declared is inspect.Parameter.empty else _type_name(declared)
        raise fail(*problems.request_not_first(first.name, shown))
    return params, hints


def _read_parameters(
    params: list[inspect.Parameter],
    hints: dict[str, Any],
    path_params: Mapping[str, Converter[Any]],
    form: bool,
    fail: _Fail,
) -> tuple[tuple[_QueryParam, ...], bool]:
    """Where each parameter after the request comes from: a path parameter (its
    converter must produce the declared type) or the query string and form (its
    spec). Also whether the handler takes `**kwargs`; every path parameter must
    have a parameter, or `**kwargs` to take it."""
    query: list[_QueryParam] = []
    taken: set[str] = set()
    var_keyword = False
    for param in params:
        name = param.name
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword = True
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            raise fail(*problems.var_positional(name))
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise fail(*problems.positional_only(name))
        annotation = hints.get(name, param.annotation)
        default = _MISSING if param.default is inspect.Parameter.empty else param.default
        if name in path_params:
            converter = path_params[name]
            produced = output_type(type(converter))
            if not _compatible(annotation, produced):
                conv = type(converter).__name__
                raise fail(
                    *problems.converter_mismatch(
                        name, conv, _type_name(produced), _type_name(annotation)
                    )
                )
            taken.add(name)
            continue
        spec, why = _query_param(name, annotation, default)
        if spec is None:
            raise fail(*problems.unreadable(name, why, form))
        query.append(spec)
    missing = [name for name in path_params if name not in taken]
    if missing and not var_keyword:
        name = missing[0]
        produced = _type_name(output_type(type(path_params[name])))
        raise fail(*problems.missing_path_parameter(name, produced))
    return tuple(query), var_keyword


Caller = Callable[[Request, tuple[Any, ...]], Any]
"""Calls a route's handler for a match: `call(request, values)`."""


def _plain_caller(handler: Any, names: tuple[str, ...], positional: bool) -> Caller:
    if positional:

        def by_position(request: Request, values: tuple[Any, ...]) -> Any:
            return handler(request, *values)

        return by_position

    def by_name(request: Request, values: tuple[Any, ...]) -> Any:
        return handler(request, **dict(zip(names, values, strict=True)))

    return by_name


def _bound_caller(handler: Any, names: tuple[str, ...], binder: Binder, positional: bool) -> Caller:
    if positional:

        def by_position_bound(request: Request, values: tuple[Any, ...]) -> Any:
            return handler(request, *values, **binder(request, {}))

        return by_position_bound

    def by_name_bound(request: Request, values: tuple[Any, ...]) -> Any:
        return handler(request, **binder(request, dict(zip(names, values, strict=True))))

    return by_name_bound


_caller_serial = itertools.count()


def _generated_caller(
    handler: Any,
    names: tuple[str, ...],
    specs: tuple[_QueryParam, ...],
    form: bool,
    by_position: bool,
) -> Caller:
    """A caller written for this route: each query (or form) parameter read and
    converted inline, the handler called with them (by position when
    `by_position`: its parameters after the request are the path's, then the
    query's, none keyword-only). What the binder does, without its loop, its dict
    and the `**` that unpacks it (one value per parameter only; lists and
    `**kwargs` use the binder)."""
    namespace: dict[str, Any] = {"_h": handler, "_bad": _bad_value, "_HTTPError": HTTPError}
    lines = ["def call(request, values):"]
    if form:
        lines += [
            "    query = request.query",
            "    fields = request.form if request.has_form else None",
        ]
    else:
        # PERF: a query string with nothing to decode (no % or +) and too short to
        # pass the field cap is searched for each parameter; request.query, which
        # parses it all, is built only for the others (or when the handler asks).
        lines += [
            "    text = request.head.query_string",
            f"    query = request.query if '%' in text or '+' in text"
            f" or len(text) >= {MAX_FIELDS} else None",
        ]
    missing = (
        "Missing form field or query parameter {!r}" if form else "Missing query parameter {!r}"
    )
    args: list[str] = []
    if by_position:
        args += [f"values[{i}]" for i in range(len(names))]
    else:
        args += [f"{name}=values[{i}]" for i, name in enumerate(names)]
    for index, spec in enumerate(specs):
        v, t = f"v{index}", f"t{index}"
        namespace[f"_p{index}"] = spec.parse
        namespace[f"_d{index}"] = spec.default
        namespace[f"_s{index}"] = spec
        key = repr(spec.name)
        if form:
            lines += [
                f"    {t} = fields.get({key}) if fields is not None else None",
                f"    w{index} = 'form field'",
                f"    if {t} is None:",
                f"        {t} = query.get({key})",
                f"        w{index} = 'query parameter'",
            ]
        else:
            namespace[f"_f{index}"] = _first_value(spec.name)
            lines.append(
                f"    {t} = query.get({key}) if query is not None"
                f" else (m{index} := _f{index}(text)) and m{index}[1]"
            )
        where = f"w{index}" if form else "'query parameter'"
        empty = f"{t} is None" if spec.text else f"not {t}"
        lines.append(f"    if {empty}:")
        if spec.required:
            namespace[f"_m{index}"] = missing.format(spec.name)
            lines.append(f"        raise _HTTPError(400, _m{index})")
        else:
            lines.append(f"        {v} = _d{index}")
        # PERF: up to 18 ASCII digits are an int in SQLite's range, without a call.
        parse = (
            f"int({t}) if {t}.isdigit() and {t}.isascii() and len({t}) < 19 else _p{index}({t})"
            if spec.parse is _parse_int
            else f"_p{index}({t})"
        )
        lines += [
            "    else:",
            "        try:",
            f"            {v} = {parse}",
            "        except ValueError:",
            f"            raise _bad(_s{index}, {t}, {where}) from None",
        ]
        args.append(v if by_position else f"{spec.name}={v}")
    lines.append(f"    return _h(request, {', '.join(args)})")
    source = "\n".join(lines) + "\n"
    filename = (
        f"<kali caller {next(_caller_serial)} for {getattr(handler, '__qualname__', handler)}>"
    )
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    call: Caller = namespace["call"]
    return call


def _first_value(name: str) -> Callable[[str], re.Match[str] | None]:
    """A search for the first `name=value` (or bare `name`) in a query string that
    needs no decoding; group 1 is the value, as `parse_pairs` would give it."""
    return re.compile(rf"(?:^|&){re.escape(name)}(?=[=&]|\Z)=?([^&]*)").search


def _not_a_request(annotation: Any) -> bool:
    """Whether the first parameter is annotated with a type a request is not."""
    if annotation in (inspect.Parameter.empty, _UNRESOLVED, Any, object):
        return False
    annotation, _optional = _unwrap_optional(annotation)
    return isinstance(annotation, type) and not issubclass(Request, annotation)


def _make_binder(
    specs: tuple[_QueryParam, ...], var_keyword: bool, form: bool, reserved: frozenset[str]
) -> Binder:
    named = frozenset(spec.name for spec in specs) | reserved
    # The common parameters (one value each) as plain tuples: the per-request loop
    # unpacks them rather than reading attributes.
    singles = tuple(
        (spec.name, spec.parse, spec.default, spec.required, spec.text, spec)
        for spec in specs
        if not spec.many
    )
    lists = tuple(spec for spec in specs if spec.many)
    missing = (
        "Missing form field or query parameter {!r}" if form else "Missing query parameter {!r}"
    )

    def bind(request: Request, params: dict[str, Any]) -> dict[str, Any]:
        query = request.query
        fields = request.form if form and request.has_form else None
        for name, parse, default, required, text_ok, spec in singles:
            text = fields.get(name) if fields is not None else None
            where = "form field"
            if text is None:
                text = query.get(name)
                where = "query parameter"
            if not text and (text is None or not text_ok):
                if required:
                    raise HTTPError(400, missing.format(name))
                params[name] = default
                continue
            try:
                params[name] = parse(text)
            except ValueError:
                raise _bad_value(spec, text, where) from None
        for spec in lists:
            name = spec.name
            texts = fields.get_all(name) if fields is not None else []
            where = "form field"
            if not texts:
                texts = query.get_all(name)
                where = "query parameter"
            texts = [t for t in texts if t or spec.text]
            if not texts:
                default = spec.default
                params[name] = list(default) if isinstance(default, tuple) else default
                continue
            try:
                params[name] = [spec.parse(t) for t in texts]
            except ValueError:
                bad = next(t for t in texts if _rejects(spec.parse, t))
                raise _bad_value(spec, bad, where) from None
        if var_keyword:
            for source in (fields, query):
                if source is not None:
                    for key in source:
                        if key not in named and key not in params:
                            params[key] = source[key]
        return params

    return bind


def _rejects(parse: Callable[[str], Any], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return True
    return False


def _bad_value(spec: _QueryParam, text: str, where: str) -> HTTPError:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return HTTPError(
        400, f"{where.capitalize()} {spec.name!r} must be {spec.expected}, not {shown!r}"
    )


__all__ = ["FORM_METHODS", "Caller", "analyse"]
