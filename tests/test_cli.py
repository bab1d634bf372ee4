"""``python -m kali run``: serving, logging, and shutting down on SIGTERM/Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import kali
from kali.cli import load_handler
from kali.testing import TestClient

ROOT = Path(__file__).resolve().parents[1]


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kali", "run", *args, "--port", "0", "--no-browser"],
        cwd=ROOT / "examples",
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "serving on http://127.0.0.1:" in line, line
    url = line.split("serving on ")[1].split()[0]
    return process, url


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_logs_and_stops_gracefully(sig: signal.Signals) -> None:
    process, url = start("intro:app")
    try:
        with urllib.request.urlopen(url + "?name=CLI", timeout=5) as response:
            assert b"Hello, CLI!" in response.read()
        process.send_signal(sig)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "GET /?name=CLI 200" in output  # the access log line: method, path, status, ms
    assert "ms" in output.split("GET /?name=CLI 200")[1].splitlines()[0]
    assert "kali: stopped" in output


def test_run_explains_a_bad_target() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kali", "run", "intro:nope", "--no-browser"],
        cwd=ROOT / "examples",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "has no attribute 'nope'" in result.stderr


def test_a_missing_attribute_is_named_with_what_it_was_looked_for_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cliapp_attrs.py").write_text("class NS:\n    inner = None\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SystemExit, match=r"^kali: module 'cliapp_attrs' has no attribute 'ns'$"):
        load_handler("cliapp_attrs:ns")
    with pytest.raises(SystemExit, match=r"^kali: 'cliapp_attrs:NS' has no attribute 'nope'$"):
        load_handler("cliapp_attrs:NS.nope")
    with pytest.raises(SystemExit, match=r"^kali: 'cliapp_attrs:NS.inner' has no attribute 'x'$"):
        load_handler("cliapp_attrs:NS.inner.x")


# -- starting a program: targets, factories, options ------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def kali_run(cwd: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`python -m kali run ...` to its end (for the programs that must stop at once)."""
    return subprocess.run(
        [sys.executable, "-m", "kali", "run", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def serve_then_stop(cwd: Path, args: list[str], path: str = "/") -> tuple[str, int, str, str]:
    """Start `python -m kali <args>`, fetch `path`, stop it with SIGTERM.

    Returns the URL served, the status and body of the page, and the whole output.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "kali", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert "serving on http://127.0.0.1:" in line, line + process.stdout.read()
        url = line.split("serving on ")[1].split()[0]
        try:
            with urllib.request.urlopen(url + path.lstrip("/"), timeout=5) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest
    return url, status, body, line + rest


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def test_the_readme_example_runs_with_the_readme_command(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    command = "python -m kali run hello:app --port 8098"
    assert command in readme
    (tmp_path / "hello.py").write_text(example)
    port = free_port()
    args = [*command.split()[3:-1], str(port), "--no-browser"]
    url, status, body, output = serve_then_stop(tmp_path, args)
    # On the port asked for, by the command line's server only: the module does not serve.
    assert url == f"http://127.0.0.1:{port}/"
    assert status == 200 and "Hello, world!" in body
    assert output.count("serving on") == 1, output


@pytest.mark.parametrize(
    "serve",
    ["app.run(port=0, open_browser=False)", "kali.serve_http(app, port=0, open_browser=False)"],
)
def test_a_module_that_serves_when_imported_is_refused(tmp_path: Path, serve: str) -> None:
    (tmp_path / "unguarded.py").write_text(
        "import kali\n\napp = kali.App()\n\n\n@app.get('/')\n"
        "def index(request: kali.Request) -> str:\n    return 'hi'\n\n\n" + serve + "\n"
    )
    result = kali_run(tmp_path, "unguarded:app", "--port", "0", "--no-browser")
    assert result.returncode == 1
    assert "serving on" not in result.stdout
    line = one_line(result.stderr)
    assert line.startswith("kali: module 'unguarded' started a server"), line
    assert f"unguarded.py:11: {serve}" in line
    assert 'if __name__ == "__main__":' in line


@pytest.mark.parametrize("port", ["99999", "-1", "eighty"])
def test_a_bad_port_is_one_usage_line(port: str) -> None:
    result = kali_run(ROOT / "examples", "intro:app", "--port", port, "--no-browser")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("kali run: error: argument --port:"), line
    assert "65535" in line and "0 for a free one" in line


def test_a_taken_port_is_one_line_saying_what_to_do() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = kali_run(ROOT / "examples", "intro:app", "--port", str(port), "--no-browser")
    assert result.returncode == 1
    assert "serving on" not in result.stdout
    line = one_line(result.stderr)
    assert f"127.0.0.1 port {port} is already in use" in line and "--port" in line, line


def test_a_configuration_error_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "badmiddleware.py").write_text(
        "import kali\n\napp = kali.App()\n\n\ndef forgets(handler: kali.Handler) -> None:\n"
        "    pass\n\n\napp.use(forgets)  # type: ignore[arg-type]\n"
    )
    result = kali_run(tmp_path, "badmiddleware:app", "--port", "0", "--no-browser")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("kali: the middleware forgets (") and "returned None" in line, line


def test_a_factory_is_called_and_its_app_served() -> None:
    # examples/demo.py: make_app(database=":memory:") -> kali.App
    _, status, body, _ = serve_then_stop(
        ROOT / "examples", ["run", "demo:make_app", "--port", "0", "--no-browser"]
    )
    assert status == 200 and "No notes yet" in body


def test_debug_sets_the_app_debug_flag(tmp_path: Path) -> None:
    (tmp_path / "boom.py").write_text(
        "import kali\n\napp = kali.App()\n\n\n@app.get('/')\n"
        "def index(request: kali.Request) -> str:\n    raise RuntimeError('boom-7f3a')\n"
    )
    args = ["run", "boom:app", "--port", "0", "--no-browser"]
    _, status, body, _ = serve_then_stop(tmp_path, [*args, "--debug"])
    assert status == 500 and "RuntimeError: boom-7f3a" in body and "Traceback" in body
    _, status, body, _ = serve_then_stop(tmp_path, args)
    assert status == 500 and "boom-7f3a" not in body


def test_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    commands = [[sys.executable, "-m", "kali", "--version"]]
    script = Path(sys.executable).with_name("kali")
    if script.exists():  # the `kali` script of an installed kali (.venv)
        commands.append([str(script), "--version"])
    for command in commands:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert (result.returncode, result.stdout) == (0, f"kali {version}\n"), result.stderr


# -- load_handler: what a target is --------------------------------------------------------

TARGETS = """\
from typing import Any

import kali


def make_app() -> kali.App:
    app = kali.App()
    app.get("/")(lambda request: "made")
    return app


def make_with_default(database: str = ":memory:") -> kali.App:
    return make_app()


def make_with_argument(database: str) -> kali.App:
    return make_app()


def handler(request: kali.Request) -> str:
    return "plain"


def variadic(*args: Any) -> str:
    return "plain"


def forgets() -> None:
    pass


def serves():
    make_app().run(port=0, open_browser=False)


app = make_app()
"""


@pytest.fixture
def targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"targets_{tmp_path.name}"
    (tmp_path / f"{name}.py").write_text(TARGETS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield name
    sys.modules.pop(name, None)


@pytest.mark.parametrize("attribute", ["make_app", "make_with_default"])
def test_a_function_without_required_arguments_is_a_factory(targets: str, attribute: str) -> None:
    app = load_handler(f"{targets}:{attribute}")
    assert isinstance(app, kali.App)
    assert TestClient(app).get("/").text == "made"


@pytest.mark.parametrize("attribute", ["handler", "variadic", "app"])
def test_a_handler_is_served_as_it_is(targets: str, attribute: str) -> None:
    handler = load_handler(f"{targets}:{attribute}")
    assert handler is getattr(sys.modules[targets], attribute)


@pytest.mark.parametrize(
    ("spec", "factory", "message"),
    [
        (
            "make_with_argument",
            None,
            "make_with_argument needs 'database', but `kali run` calls a factory without "
            "arguments; add a function that takes none and calls it",
        ),
        ("handler", True, "handler needs 'request'"),
        ("app", True, "is an App, not a function that makes one; drop --factory"),
        ("forgets", None, "forgets() returned None, not an App or a handler"),
        ("serves", None, "started a server while `kali run` was calling serves()"),
    ],
)
def test_a_target_that_is_no_factory_says_so(
    targets: str, spec: str, factory: bool | None, message: str
) -> None:
    with pytest.raises(SystemExit) as raised:
        load_handler(f"{targets}:{spec}", factory=factory)
    assert message in str(raised.value)
