"""Issue 15, point 4: no client input is a 500. Random requests against the target app
(typed routes, query- and form-bound parameters, static files, a formlet): methods,
targets with odd percent-encodings, Range / If-Modified-Since / Cookie / Content-Type
headers with random values, urlencoded, multipart and JSON garbage bodies.

Focused properties (static files, forms, JSON, targets) go through the test client's
`send_raw` — the pipeline the servers share, in-process, with the app's exceptions
re-raised — and a mixed one also over real sockets to kali's server and to waitress.
The app's two intentional 500s (`/boom`, `/template-escape`) are the only ones allowed.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote_plus, unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kali.testing import TestClient

from .conftest import Target
from .net import exchange
from .target_app import build_app

INTENTIONAL = {"/boom", "/template-escape"}


def spaced(text: str) -> list[str]:
    """The words of `text`: a compact way to write a list of short strings."""
    return text.split()


CLIENT = TestClient(build_app(), raise_server_exceptions=True)

# -- pieces --------------------------------------------------------------------------

methods = st.one_of(
    st.sampled_from(["GET", "POST"]),
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]),
    st.from_regex(r"\A[A-Z]{1,8}\Z"),
)
odd_escapes = st.sampled_from(
    [
        *spaced("% %2 %zz %00 %2F %2f %5C %2e %2E%2E %C0%AF %FF %E2%82 %E2%9C%93 %25 + .. ."),
        *spaced("// ; @ : ~ %7E %0A %20"),
        "",
    ]
)
known = st.sampled_from(
    [
        *spaced("static hello.txt index.html int dir search form upload json contact count"),
        *spaced("cookie echo-cookies bump big own-frame-policy x 4301 -1 1e5 007 0x10"),
        "kw",
        *spaced("%D9%A3 %EF%BC%91"),
        "",
        "9" * 4301,
    ]
)
plain = st.text(st.sampled_from("abcAZ09-._~!$&'()*,;=:@"), max_size=8)
segment = st.lists(st.one_of(known, odd_escapes, plain), min_size=1, max_size=3).map("".join)
random_paths = st.lists(segment, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
query_values = st.one_of(
    st.sampled_from(["", "1", "-3", "x", "true", "no", "1e308", "nan", "9" * 4301, "%", "%FF"]),
    st.lists(st.one_of(plain, odd_escapes), max_size=3).map("".join),
)
query_keys = st.sampled_from(
    ["q", "page", "exact", "tags", "ratio", "name", "age", "x", "_csrf", "id", "request"]
)
queries = st.lists(st.tuples(query_keys, query_values), max_size=4).map(
    lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)
)
field_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
)
dates = st.one_of(
    st.sampled_from(
        [
            "Sat, 01 Jan 99999999999 00:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "yesterday",
            "",
            "Mon, 01 Jan 10000 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Tue, 30 Feb 2021 25:61:61 GMT",
        ]
    ),
    st.tuples(st.integers(-(10**12), 10**12), st.integers(0, 99)).map(
        lambda t: f"Sat, 01 Jan {t[0]} {t[1]:02d}:00:00 GMT"
    ),
)
ranges = st.one_of(
    st.sampled_from(
        [
            *spaced("bytes=0-0 bytes=-5 bytes=5- bytes=9-1 bytes=0-1,3-4 bytes=-0 items=0-1"),
            *spaced("bytes= bytes=0-1,"),
            "bytes= 1 - 2",
            "bytes=" + "9" * 5000 + "-",
        ]
    ),
    st.tuples(st.integers(-5, 10**20), st.integers(-5, 10**20)).map(
        lambda t: f"bytes={t[0]}-{t[1]}"
    ),
    field_text.map(lambda t: "bytes=" + t),
)
etags = st.one_of(st.sampled_from(["*", '"x"', 'W/"x"', '"', ",,"]), field_text)
conditional = st.one_of(
    st.tuples(st.just("Range"), ranges),
    st.tuples(st.sampled_from(["If-Modified-Since", "If-Unmodified-Since", "If-Range"]), dates),
    st.tuples(st.sampled_from(["If-None-Match", "If-Match", "If-Range"]), etags),
)
other_headers = st.one_of(
    st.tuples(st.just("Cookie"), field_text),
    st.tuples(st.just("Accept"), field_text),
    st.tuples(st.just("Content-Type"), field_text),
    st.tuples(st.just("X-Anything"), field_text),
)
FORM_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary="a b"',
    "application/json",
    "text/plain",
]


words = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FFF), max_size=12)
values = st.one_of(
    words,
    st.sampled_from(["1", "-3", "0", "true", "off", "x", "1e308", "nan", "9" * 4301, "2024-02-30"]),
)


@st.composite
def urlencoded(draw: st.DrawFn) -> tuple[str, bytes]:
    """Mostly well-formed (values percent-encoded as a browser does), sometimes not."""
    pairs = draw(st.lists(st.tuples(st.one_of(query_keys, words), values), max_size=6))
    text = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
    if draw(st.integers(0, 3)) == 0:  # one flaw
        text += draw(st.sampled_from(["&", "&&", "=", "%", "%FF", "%zz", "&a", "+%C0%AF", "=&="]))
    return draw(st.sampled_from(FORM_TYPES[:1] * 3 + FORM_TYPES)), text.encode()


MULTIPART_FLAWS = spaced(
    "no-ending wrong-boundary no-boundary quoted-boundary empty-head bad-head-line attachment "
    "binary-field preamble no-crlf dup-name huge-name"
)


@st.composite
def multipart(draw: st.DrawFn) -> tuple[str, bytes]:
    """Mostly well-formed (fields and files), sometimes with one flaw."""
    boundary = draw(st.sampled_from(["b", "----x", "a" * 70, "0123456789"]))
    flaw = draw(st.sampled_from(MULTIPART_FLAWS)) if draw(st.integers(0, 2)) == 0 else None
    parts = [b"junk before\r\n"] if flaw == "preamble" else []
    for i in range(draw(st.integers(0, 3))):
        name = draw(st.one_of(query_keys, words.filter(lambda t: '"' not in t and "\r" not in t)))
        is_file = draw(st.booleans())
        head = f'Content-Disposition: form-data; name="{name}"'
        if is_file:
            filename = draw(st.sampled_from(["f.txt", "../../x", "", "a\\b", "é.txt"]))
            head += f'; filename="{filename}"\r\nContent-Type: ' + draw(
                st.sampled_from(["text/plain", "application/octet-stream", "x"])
            )
        if i == 0 and flaw == "empty-head":
            head = ""
        elif i == 0 and flaw == "bad-head-line":
            head += "\r\nContent-Disposition"
        elif i == 0 and flaw == "attachment":
            head = "Content-Disposition: attachment"
        elif i == 0 and flaw == "dup-name":
            head += '; name="dup"'
        elif i == 0 and flaw == "huge-name":
            head = 'Content-Disposition: form-data; name="' + "n" * 20000 + '"'
        if is_file or (i == 0 and flaw == "binary-field"):
            value = draw(st.binary(max_size=40))
        else:
            value = draw(values).encode()
        gap = "\r\n" if i == 0 and flaw == "no-crlf" else "\r\n\r\n"
        parts.append(f"--{boundary}\r\n{head}{gap}".encode() + value + b"\r\n")
    ending = "" if flaw == "no-ending" else f"--{boundary}--\r\n"
    declared = {
        "wrong-boundary": "other",
        "no-boundary": "",
        "quoted-boundary": f'"{boundary}"',
    }.get(flaw or "", boundary)
    return f"multipart/form-data; boundary={declared}", b"".join(parts) + ending.encode()


json_garbage = st.one_of(
    st.sampled_from(
        [
            *spaced('{ {"a":1} nul "\\ud800" 1e999999 - {}{}{} \ufeff{} NaN [1,]'),
            "[" * 5000 + "]" * 5000,
            "[" * 20000,
            '{"a":' * 3000,
        ]
    ),
    field_text,
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=10,
    ).map(repr),
).map(lambda text: ("application/json", text.encode("utf-8", "surrogatepass")))
bodies = st.one_of(
    st.just((None, b"")),
    urlencoded(),
    multipart(),
    json_garbage,
    st.tuples(st.one_of(st.sampled_from(FORM_TYPES), field_text), st.binary(max_size=200)),
)


def raw_request(
    method: str,
    target: str,
    host: str,
    headers: list[tuple[str, str]],
    content_type: str | None = None,
    body: bytes = b"",
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def intentional(target: str) -> bool:
    path = posixpath.normpath(unquote(target.partition("?")[0], errors="replace"))
    return path.rstrip("/") in INTENTIONAL


def check(raw: bytes, target: str) -> None:
    # raise_server_exceptions: an exception in the app fails the test with its traceback.
    if intentional(target):
        return
    response = CLIENT.send_raw(raw)
    assert response.status < 500, (raw[:400], response.status, response.body[:300])


# -- focused properties through the shared pipeline -------------------------------------

STATIC = ["/static/hello.txt", "/static/index.html", "/static/", "/static", "/static/{}"]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["GET", "HEAD"]),
    st.sampled_from(STATIC),
    segment,
    st.lists(conditional, max_size=4),
)
def test_static_files_with_random_conditions_and_ranges(
    method: str, route: str, hole: str, headers: list[tuple[str, str]]
) -> None:
    target = route.replace("{}", hole)
    check(raw_request(method, target, "localhost", headers), target)


FORM_ROUTES = {
    "/form": urlencoded(),
    "/upload": multipart(),
    "/contact": urlencoded(),
    "/json": json_garbage,
    "/bump": urlencoded(),
}


@st.composite
def form_requests(draw: st.DrawFn) -> tuple[bytes, str]:
    """A write to a route that reads a body, mostly with the body that route expects."""
    method = (
        "POST" if draw(st.integers(0, 5)) else draw(st.sampled_from(["PUT", "PATCH", "DELETE"]))
    )
    path = draw(st.sampled_from(list(FORM_ROUTES)))
    body = draw(st.one_of(FORM_ROUTES[path], FORM_ROUTES[path], bodies))
    query = draw(queries)
    target = path + ("?" + query if query else "")
    headers = draw(st.lists(other_headers.filter(lambda h: h[0] != "Content-Type"), max_size=2))
    return raw_request(method, target, "localhost", headers, *body), target


@settings(max_examples=250, deadline=None)
@given(form_requests())
def test_form_and_json_bodies(sent: tuple[bytes, str]) -> None:
    check(*sent)


@settings(max_examples=150, deadline=None)
@given(methods, random_paths, queries, st.lists(other_headers, max_size=2))
def test_odd_targets(method: str, path: str, query: str, headers: list[tuple[str, str]]) -> None:
    target = path + ("?" + query if query else "")
    check(raw_request(method, target, "localhost", headers), target)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**6), queries)
def test_a_keywords_handler_takes_any_query(number: int, query: str) -> None:
    # **rest gets every other key, whatever it is called (`id`, `request`...).
    check(raw_request("GET", f"/kw/{number}?{query}", "localhost", []), "/kw")


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(field_text, st.sampled_from(["7", "\xb2", "\xb9\xb3", "-1", "9" * 30, " 1 ", "0x1"]))
)
def test_any_last_event_id_resumes_or_starts_over(last_id: str) -> None:
    # Through the pipeline only: over a socket the event stream stays open.
    raw = raw_request("GET", "/events", "localhost", [("Last-Event-ID", last_id)])
    response = CLIENT.send_raw(raw)
    assert response.status == 200, (raw, response.status, response.body[:300])
    assert response.headers["content-type"] == "text/event-stream"


# -- everything at once, in-process and over the wire -------------------------------------

ROUTES = [
    *spaced("/ /count /int/{} /dir/ /{}/ /search /contact /cookie /echo-cookies /bump /form"),
    *spaced("/own-frame-policy /upload /json /kw/{}"),
    *STATIC,
]


@st.composite
def requests(draw: st.DrawFn, host: str) -> tuple[bytes, str, str]:
    """Raw request bytes, the method and the target."""
    method = draw(methods)
    if draw(st.booleans()):
        path = draw(st.sampled_from(ROUTES)).replace("{}", draw(segment))
    else:
        path = draw(random_paths)
    query = draw(queries)
    target = path + ("?" + query if query else "")
    headers = draw(st.lists(st.one_of(conditional, other_headers), max_size=4))
    return raw_request(method, target, host, headers, *draw(bodies)), method, target


@settings(max_examples=150, deadline=None)
@given(requests("localhost"))
def test_no_500_through_the_pipeline(sent: tuple[bytes, str, str]) -> None:
    raw, _method, target = sent
    check(raw, target)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sent=requests("127.0.0.1"))
def test_no_500_over_the_wire(target: Target, sent: tuple[bytes, str, str]) -> None:
    raw, method, path = sent
    reply = exchange(target.port, raw, method=method)
    assert reply.status < 500 or intentional(path), (raw[:400], reply.status, reply.body[:300])
