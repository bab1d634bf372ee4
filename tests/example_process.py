"""Start an example as its docstring says, as a process of its own on a free port.

    with run_example("todo", "--db", tmp_path / "todo.sqlite3") as running:
        urllib.request.urlopen(running.url)

Each example takes `--port 0` (a free port) and `--no-browser`; the URL is read from the
line the server prints. When the block ends the process gets SIGTERM, as Ctrl-C would,
and must stop by itself with status 0.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
STARTUP_SECONDS = 30.0  # a generous bound on a loaded machine; a start takes about 0.3 s


@dataclass
class RunningExample:
    """An example being served: its base URL (`http://127.0.0.1:PORT/`) and its output."""

    name: str
    url: str
    process: subprocess.Popen[str]
    stdout: list[str] = field(default_factory=list)
    """The lines printed so far (the URL line first); complete once the process stopped."""
    stderr: list[str] = field(default_factory=list)
    """The log: the access lines and any traceback."""

    def log(self) -> str:
        """Everything it printed, for a failing test's message."""
        return "".join(self.stdout) + "".join(self.stderr)


def _pump(stream: object, lines: list[str], first: queue.Queue[str] | None) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)
        if first is not None:
            first.put(line)
            first = None
    if first is not None:
        first.put("")  # ended before printing anything


@contextmanager
def run_example(name: str, *args: str | os.PathLike[str]) -> Iterator[RunningExample]:
    """Run `python examples/<name>.py --port 0 --no-browser <args>` until the block ends."""
    command = [sys.executable, str(EXAMPLES / f"{name}.py"), "--port", "0", "--no-browser"]
    command += [os.fspath(arg) for arg in args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None)  # never a browser window, even if --no-browser were ignored
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    running = RunningExample(name, "", process)
    first: queue.Queue[str] = queue.Queue()
    pumps = [
        threading.Thread(target=_pump, args=(process.stdout, running.stdout, first), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, running.stderr, None), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    try:
        try:
            line = first.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            raise AssertionError(f"{name}: printed nothing in {STARTUP_SECONDS} s") from None
        if "serving on " not in line:
            process.wait(10)
            for pump in pumps:
                pump.join(5)
            raise AssertionError(f"{name} did not start:\n{running.log()}")
        running.url = line.split("serving on ", 1)[1].split()[0]
        yield running
    finally:
        if process.poll() is None:
            process.terminate()  # SIGTERM: the server stops as on Ctrl-C
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for pump in pumps:
            pump.join(5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
