"""Falcon's benchmark "hello" app, written idiomatically for kali, Falcon, Bottle and Flask.

The request is ``GET /hello/584/test?limit=10&thing=ab`` (the path and query of
``falcon.bench.bench.hello_env``); every handler reads the ``User-Agent`` header
and the ``limit`` query parameter, and answers a 10 KiB body with one extra
header, ``X-Test: Funky Chicken`` (``falcon/bench/create.py``). Falcon's own
handlers only assign what they read to unused locals; here each handler records
it in :data:`SEEN` under its framework's name, so that the benchmark can check
every app parsed the same request before it times them. One dict store a
request, the same in every app.

Each ``*_app()`` function builds a fresh application and returns it: a kali
:class:`~kali.App` (wrap it with :class:`~kali.wsgi.WSGIAdapter` for WSGI), or
a WSGI callable for the peers, whose modules are imported only when asked for.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterable
from typing import Any

import kali
from kali import Request, Response

PATH = "/hello/584/test"
QUERY = "limit=10&thing=ab"
TARGET = f"{PATH}?{QUERY}"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120"
#: falcon's bench body is ``rand_string(10240, 10240)``; this one is seeded, so runs compare.
BODY = "".join(random.Random(9).choices(string.ascii_letters, k=10240)).encode()
HEADERS = {"X-Test": "Funky Chicken"}
#: What a correct handler has read from the request: (account_id, User-Agent, limit).
EXPECTED = ("584", USER_AGENT, "10")

#: Framework name → what its handler read from the last request.
SEEN: dict[str, tuple[str, str | None, str]] = {}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def kali_app() -> kali.App:
    """The hello app as a kali App: a typed path parameter, ``limit`` bound from the query."""
    app = kali.App()

    @app.get("/hello/<account_id>/test")
    def hello(request: Request, account_id: str, limit: int = 10) -> Response:
        user_agent = request.headers.get("user-agent")
        SEEN["kali"] = (account_id, user_agent, str(limit))
        return Response(BODY, headers=HEADERS, content_type="text/plain")

    app.compile()
    return app


def falcon_app() -> WSGIApp:
    """``falcon.bench.create.falcon``: a resource with ``on_get``, media type text/plain."""
    import falcon

    app = falcon.App(media_type="text/plain")

    class HelloResource:
        def on_get(self, req: Any, resp: Any, account_id: str) -> None:
            user_agent = req.user_agent
            limit = req.get_param("limit") or "10"
            SEEN["falcon"] = (account_id, user_agent, limit)
            resp.data = BODY
            resp.set_headers(HEADERS)

    app.add_route("/hello/{account_id}/test", HelloResource())
    return app


def bottle_app() -> WSGIApp:
    """``falcon.bench.create.bottle``, on its own ``Bottle()`` instead of the default app."""
    import bottle

    app = bottle.Bottle()

    @app.route("/hello/<account_id>/test")
    def hello(account_id: str) -> bytes:
        user_agent = bottle.request.headers["User-Agent"]
        limit = bottle.request.query.limit or "10"
        SEEN["bottle"] = (account_id, user_agent, limit)
        for header in HEADERS.items():
            bottle.response.set_header(*header)
        return BODY

    return app


def flask_app() -> WSGIApp:
    """``falcon.bench.create.flask``: a view returning a ``flask.Response``."""
    import flask

    app = flask.Flask("hello")

    @app.route("/hello/<account_id>/test")
    def hello(account_id: str) -> Any:
        request = flask.request
        user_agent = request.headers["User-Agent"]
        limit = request.args.get("limit", "10")
        SEEN["flask"] = (account_id, user_agent, limit)
        return flask.Response(BODY, headers=HEADERS, mimetype="text/plain")

    return app


def bare_app() -> WSGIApp:
    """The floor: a hand-written WSGI callable that reads the same three values, no framework."""
    headers = [
        ("Content-Type", "text/plain"),
        ("Content-Length", str(len(BODY))),
        *HEADERS.items(),
    ]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        account_id = environ["PATH_INFO"].split("/")[2]
        user_agent = environ.get("HTTP_USER_AGENT")
        limit = "10"
        for pair in environ.get("QUERY_STRING", "").split("&"):
            name, _, value = pair.partition("=")
            if name == "limit":
                limit = value
        SEEN["bare"] = (account_id, user_agent, limit)
        start_response("200 OK", headers)
        return [BODY]

    return app
