"""The command line: `python -m kali run module:app`, `python -m kali ship app.py`
(see `docs/cli.md`)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from ._loading import loading
from .app import App
from .errors import ConfigurationError
from .options import ServerSettings
from .server import serve_http
from .typing import Handler


def load_handler(spec: str, *, factory: bool | None = None) -> Handler:
    """Import `"package.module:attribute"` and return the handler it names.

    The attribute is an [`App`][kali.App] or any handler (a callable taking the
    request). A function that takes no arguments is a factory instead: it is
    called, and what it returns is served. `factory=True` insists on calling it,
    `factory=False` never calls it, `None` decides from its signature.

    Raises:
        SystemExit: with one line saying what to fix, when the module or the
            attribute is missing, or when the target is neither a handler nor a
            factory. A module that starts a server while it is imported stops the
            program too, with the line to put under `if __name__ == "__main__":`.
    """
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise SystemExit(f"kali: expected module:app (e.g. myapp:app), not {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        with loading(module_name, "importing it"):
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name.split(".")[0] or exc.name == module_name:
            raise SystemExit(
                f"kali: no module named {module_name!r} (run from its folder?)"
            ) from None
        raise
    target: object = module
    found = module_name
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            owner = f"module {module_name!r}" if found == module_name else repr(found)
            raise SystemExit(f"kali: {owner} has no attribute {part!r}") from None
        found = f"{found}:{part}" if found == module_name else f"{found}.{part}"
    if not callable(target):
        raise SystemExit(
            f"kali: {spec} is {type(target).__name__}, not an App, a handler or a function "
            "returning one"
        )
    if factory is None:
        factory = _is_factory(target)
    if not factory:
        handler: Handler = target
        return handler
    if isinstance(target, App):
        raise SystemExit(f"kali: {spec} is an App, not a function that makes one; drop --factory")
    required = _required_parameters(target)
    if required:
        raise SystemExit(
            f"kali: {spec} needs {', '.join(required)}, but `kali run` calls a factory "
            f"without arguments; add a function that takes none and calls it, e.g. "
            f"`def create() -> kali.App: return {attribute}(...)`"
        )
    with loading(module_name, f"calling {attribute}()"):
        made: object = target()
    if not callable(made):
        raise SystemExit(
            f"kali: {attribute}() returned {made!r}, not an App or a handler "
            "(does it end with `return app`?)"
        )
    result: Handler = made
    return result


def _is_factory(target: Callable[..., object]) -> bool:
    # A handler is called with the request. A callable that can be called with no
    # arguments makes the app instead, unless it takes any number of them (`*args`):
    # a handler would not give its request a default. One annotated to return an
    # App is a factory too (then told to take no arguments, if it needs some).
    if isinstance(target, App):
        return False
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return False
    returns = signature.return_annotation
    if returns is App or (isinstance(returns, str) and returns.rpartition(".")[2] == "App"):
        return True
    try:
        signature.bind()
    except TypeError:
        return False
    kinds = {parameter.kind for parameter in signature.parameters.values()}
    return inspect.Parameter.VAR_POSITIONAL not in kinds


def _required_parameters(target: Callable[..., object]) -> list[str]:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [
        repr(name)
        for name, parameter in signature.parameters.items()
        if parameter.default is parameter.empty
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port number: give one from 1 to 65535, or 0 for a free one"
        ) from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{port} is out of range: give a port from 1 to 65535, or 0 for a free one"
        )
    return port


def _child_args(args: argparse.Namespace) -> list[str]:
    # The command line of the program `--reload` restarts: the same, without --reload.
    child = ["run", args.app, "--host", args.host, "--port", str(args.port)]
    flags = ("no_browser", "debug", "factory", "window")
    child += [f"--{flag.replace('_', '-')}" for flag in flags if getattr(args, flag)]
    if args.exit_when_closed is not None:
        child.append("--exit-when-closed" if args.exit_when_closed else "--no-exit-when-closed")
    if args.app_id is not None:
        child += ["--app-id", args.app_id]
    return child


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, with where to look, rather than the usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m kali` and the `kali` script."""
    args = _parser().parse_args(argv)
    if args.command == "ship":
        return _ship(args)
    if args.reload:
        from .desktop.reload import supervise

        return supervise(args.app.partition(":")[0], _child_args(args), args.host, args.port)
    return _run(args)


def _parser() -> argparse.ArgumentParser:
    """The command line: `kali run module:app [options]` and `kali ship script.py`."""
    parser = _Parser(prog="kali", description="Serve a kali app on localhost.")
    parser.add_argument("--version", action="version", version=f"kali {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve a handler or App: kali run module:app")
    run.add_argument("app", help="what to serve, as module:attribute (e.g. myapp:app)")
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0 picks one)")
    run.add_argument("--no-browser", action="store_true", help="do not open a browser")
    run.add_argument(
        "--debug", action="store_true", help="show tracebacks in error pages (sets App.debug)"
    )
    run.add_argument(
        "--factory",
        action="store_true",
        help="call the attribute without arguments and serve what it returns "
        "(found by itself for a function that takes no arguments)",
    )
    run.add_argument(
        "--window",
        action="store_true",
        help="open the app in a window of its own (Chrome, Chromium, Edge or Brave in app "
        "mode); the program then ends when its last window closes",
    )
    run.add_argument(
        "--exit-when-closed",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="end the program when its last page closes (default: on with --window)",
    )
    run.add_argument(
        "--app-id",
        metavar="ID",
        help="run one instance: a second launch with the same ID shows the running one",
    )
    run.add_argument(
        "--reload",
        action="store_true",
        help="restart the program when a Python file under the app's folder changes",
    )
    ship = commands.add_parser(
        "ship", help="build one executable of a script with PyInstaller: kali ship app.py"
    )
    ship.add_argument("script", type=Path, help="the program: a script that calls app.run()")
    ship.add_argument("--name", help="the executable's name (default: the script's)")
    ship.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FOLDER",
        help="a folder beside the script to pack with it (templates, static); repeatable",
    )
    ship.add_argument("--windowed", action="store_true", help="no terminal window (Windows, macOS)")
    ship.add_argument("--onedir", action="store_true", help="a folder rather than one file")
    ship.add_argument(
        "--dist", type=Path, default=Path("dist"), help="where to put it (default dist/)"
    )
    return parser


def _ship(args: argparse.Namespace) -> int:
    from .desktop.ship import ship as build

    program = build(
        args.script,
        name=args.name,
        data=args.data,
        windowed=args.windowed,
        onedir=args.onedir,
        dist=args.dist,
    )
    print(f"kali: built {program}", flush=True)
    return 0


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    handler = load_handler(args.app, factory=True if args.factory else None)
    settings: ServerSettings = {
        "address": args.host,
        "port": args.port,
        "open_browser": not args.no_browser,
        "debug": args.debug,
        "window": args.window,
        "exit_when_closed": args.exit_when_closed,
        "app_id": args.app_id,
    }
    try:
        if isinstance(handler, App):  # compiled first; --debug sets App.debug
            handler.run(**settings)
        else:
            serve_http(handler, **settings)
    except ConfigurationError as exc:
        raise SystemExit(f"kali: {exc}") from None
    return 0
