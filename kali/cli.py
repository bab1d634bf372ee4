"""The command line: `python -m kali run module:app`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from .server import serve_http
from .typing import Handler


def load_handler(spec: str) -> Handler:
    """Import `"package.module:attribute"` and return the handler it names.

    Raises `SystemExit` with a message saying what to fix.
    """
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise SystemExit(f"kali: expected module:app (e.g. myapp:app), not {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name.split(".")[0] or exc.name == module_name:
            raise SystemExit(
                f"kali: no module named {module_name!r} (run from its folder?)"
            ) from None
        raise
    target: object = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise SystemExit(
                f"kali: module {module_name!r} has no attribute {attribute!r}"
            ) from None
    if not callable(target):
        raise SystemExit(f"kali: {spec} is not callable; it must be a handler or an App")
    handler: Handler = target
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m kali` and the `kali` script."""
    parser = argparse.ArgumentParser(prog="kali", description="Serve a kali app on localhost.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve a handler or App: kali run module:app")
    run.add_argument("app", help="what to serve, as module:attribute (e.g. myapp:app)")
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks one)")
    run.add_argument("--no-browser", action="store_true", help="do not open a browser")
    run.add_argument("--debug", action="store_true", help="show tracebacks in error pages")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    handler = load_handler(args.app)
    serve_http(
        handler,
        address=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        debug=args.debug,
    )
    return 0
