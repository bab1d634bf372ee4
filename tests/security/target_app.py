"""The app the security suite attacks, served by kali's own server or by waitress.

Run in its own process by the suite's fixtures (tests/security/conftest.py):

    python -m tests.security.target_app native|wsgi [options]

It prints `kali-target: <port>` once it listens, then serves until SIGTERM. Its own
process, so that the tests can read its memory (`/proc/<pid>/status`), its CPU time and
its descriptors, give it a descriptor limit, and hold a thousand sockets open against it
without sharing a Python thread with it.

The app has what an attacker looks for: state changed by POST (a counter), typed path
parameters, query- and form-bound parameters, a route with a trailing slash, static
files, a formlet, a cookie, a large shared iolist, and a template.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import kali
from kali import formlets
from kali.staticfiles import StaticFiles
from kali.templating import Template, escape

STATIC = Path(__file__).with_name("static")
#: Shown on the app's own pages: a frame that renders the app shows it.
MARKER = "kali-target-app-page"
#: The 20 MiB iolist: 20 480 distinct 1 KiB strings, built once and shared by every reader.
BIG_LEAVES = 20 * 1024


def big_iolist() -> list[list[str]]:
    """20 MiB of text in 1 KiB leaves (each starts with its number)."""
    return [
        [f"{i * 1024 + j:07d}" + "x" * 1016 + "\n" for j in range(1024)]
        for i in range(BIG_LEAVES // 1024)
    ]


class Contact(formlets.Form):
    """A formlet, for the property test."""

    name = formlets.Text(max_length=40)
    age = formlets.Integer(minimum=0, maximum=150, required=False)
    when = formlets.Date(required=False)
    kind = formlets.Choice([("a", "A"), ("b", "B")], required=False)


GENERATOR_ESCAPE = Template("<p>{rows.gi_frame.f_builtins['__import__']('os').getcwd()}</p>")


def build_app(*, big: bool = False) -> kali.App:
    """The attacked app. `big` builds the 20 MiB iolist served at `/big`."""
    app = kali.App()
    state = {"count": 0}
    big_body = big_iolist() if big else None

    @app.get("/")
    def index(request: kali.Request) -> str:
        # The clickjacking target: a button that changes state, filling the page.
        return (
            f"<!doctype html><title>target</title><p id=marker>{MARKER}</p>"
            "<form method=post action=/bump><button id=bump style='position:absolute;"
            "left:0;top:0;width:100vw;height:100vh'>Bump</button></form>"
        )

    def bump(request: kali.Request) -> kali.Response:
        state["count"] += 1
        return kali.Response.redirect("/count", 303)

    app.add_route("/bump", bump, ("POST", "PUT", "PATCH", "DELETE"))

    @app.get("/count")
    def count(request: kali.Request) -> str:
        return str(state["count"])

    @app.get("/int/<int:n>")
    def integer(request: kali.Request, n: int) -> str:
        return f"<p>{n % 1000}</p>"

    @app.get("/dir/")
    def directory(request: kali.Request) -> str:
        return "<p>dir</p>"

    @app.get("/<name>/")
    def named(request: kali.Request, name: str) -> str:
        return f"<p>{escape(name)}</p>"

    @app.get("/search")
    def search(
        request: kali.Request,
        q: str = "",
        page: int = 1,
        exact: bool = False,
        tags: list[str] | None = None,
        ratio: float | None = None,
    ) -> kali.Response:
        return kali.Response.json({"q": q, "page": page % 100, "n": len(tags or ())})

    @app.get("/kw/<int:id>")
    def keywords(request: kali.Request, id: int, **rest: str) -> kali.Response:
        # **rest takes any other query key: never the path's `id`, nor `request`.
        return kali.Response.json({"id": id % 1000, "rest": sorted(rest)})

    events = kali.EventStream()
    events.publish("hello", "before")

    @app.get("/events")
    def event_stream(request: kali.Request) -> kali.Response:
        return events.subscribe(request)  # reads Last-Event-ID

    @app.post("/form")
    def form(request: kali.Request, name: str = "", age: int = 0) -> kali.Response:
        return kali.Response.json({"name": name, "age": age % 100, "fields": len(request.form)})

    @app.post("/upload")
    def upload(request: kali.Request) -> kali.Response:
        files = {name: len(u[0].read()) for name, u in request.form.files.items()}
        return kali.Response.json({"fields": len(request.form), "files": files})

    @app.post("/json")
    def json_body(request: kali.Request) -> kali.Response:
        return kali.Response.json({"type": type(request.json()).__name__})

    @app.get("/contact")
    def contact_page(request: kali.Request) -> kali.ResponseValue:
        return Contact().render()

    @app.post("/contact")
    def contact_post(request: kali.Request) -> kali.Response:
        return formlets.submit(
            Contact(request.form), save=lambda form: "/count", page=lambda form: form.render()
        )

    @app.get("/cookie")
    def cookie(request: kali.Request) -> kali.Response:
        response = kali.Response("<p>cookie set</p>")
        response.set_cookie("session", "s e;c=ret")
        return response

    @app.get("/echo-cookies")
    def echo_cookies(request: kali.Request) -> kali.Response:
        return kali.Response.json(request.cookies)

    @app.get("/own-frame-policy")
    def own_policy(request: kali.Request) -> kali.Response:
        response = kali.Response(f"<p>{MARKER}</p>")
        response.set_header("X-Frame-Options", "SAMEORIGIN")
        return response

    @app.get("/boom")
    def boom(request: kali.Request) -> str:
        raise RuntimeError("an intentional 500")

    @app.get("/template-escape")
    def template_escape(request: kali.Request) -> kali.ResponseValue:
        def rows() -> Iterator[int]:
            yield 1

        return GENERATOR_ESCAPE(rows=rows())

    @app.get("/big")
    def big_page(request: kali.Request) -> kali.Response:
        if big_body is None:
            raise kali.HTTPError(404, "started without --big")
        return kali.Response.text(big_body)

    app.mount("/static", StaticFiles(STATIC))
    return app


def logged(wsgi_app: Any) -> Any:
    """The WSGI app, logging `METHOD /path STATUS` to stderr as kali's access log does."""

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: Any, *exc_info: Any) -> Any:
            print(
                f"access: {environ['REQUEST_METHOD']} {environ.get('PATH_INFO')} {status[:3]}",
                file=sys.stderr,
                flush=True,
            )
            return start_response(status, headers, *exc_info)

        return wsgi_app(environ, start)

    return application


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("server", choices=["native", "wsgi"])
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--nofile", type=int, help="RLIMIT_NOFILE for the server process")
    parser.add_argument("--security-headers", help="a JSON object: security_headers=...")
    parser.add_argument("--head-timeout", type=float)
    parser.add_argument("--big", action="store_true", help="serve the 20 MiB iolist at /big")
    parser.add_argument(
        "--access-log", action="store_true", help="log 'METHOD /path STATUS' to stderr"
    )
    args = parser.parse_args(argv)
    if args.nofile:
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, args.nofile))
    app = build_app(big=args.big)
    app.compile()
    extra: dict[str, object] = {}
    if args.security_headers is not None:
        headers: Mapping[str, str] = json.loads(args.security_headers)
        extra["security_headers"] = headers
    if args.server == "native":
        if args.head_timeout is not None:
            extra["timeouts"] = kali.Timeouts(head=args.head_timeout)
        kali.serve_http(
            app,
            address=args.address,
            port=0,
            open_browser=False,
            access_log=args.access_log,
            ready=lambda server: print(f"kali-target: {server.port}", flush=True),
            **extra,  # type: ignore[arg-type]
        )
    else:
        from waitress.server import create_server  # type: ignore[import-untyped]

        from kali.wsgi import WSGIAdapter

        wsgi_app = WSGIAdapter(app, **extra)  # type: ignore[arg-type]
        server = create_server(
            logged(wsgi_app) if args.access_log else wsgi_app,
            host=args.address,
            port=0,
            threads=1,
        )
        print(f"kali-target: {server.effective_port}", flush=True)
        server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
