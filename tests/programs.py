"""Programs started as a user would, for the desktop tests: their output read as it
comes, a fake browser that records how it was started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_BROWSER = f"""#!{sys.executable}
# Records its command line, then stays open (a window) until the file `quit` appears.
import json, os, sys, time
folder = os.environ["FAKE_BROWSER_DIR"]
with open(os.path.join(folder, "launches.jsonl"), "a") as log:
    log.write(json.dumps({{"pid": os.getpid(), "argv": sys.argv[1:]}}) + "\\n")
deadline = time.monotonic() + 120
while not os.path.exists(os.path.join(folder, "quit")) and time.monotonic() < deadline:
    time.sleep(0.05)
"""


class Program:
    """A process whose output (stdout and stderr) is collected line by line."""

    def __init__(self, args: Sequence[str], cwd: Path, env: dict[str, str]) -> None:
        self.args = list(args)
        self.process = subprocess.Popen(
            self.args,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 20.0, after: int = 0) -> str:
        """The first line (from index `after`) holding `text`; fails if the program ends first."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[after:]:
                if text in line:
                    return line
            if self.process.poll() is not None:
                self._reader.join(5)
                for line in self.lines[after:]:
                    if text in line:
                        return line
                raise AssertionError(
                    f"ended ({self.process.returncode}) without {text!r}:\n{self.output}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout}s:\n{self.output}")
            time.sleep(0.02)

    def url(self, after: int = 0, timeout: float = 20.0) -> str:
        """The URL of the (next) `serving on` line."""
        line = self.wait_for_line("serving on ", timeout=timeout, after=after)
        return line.split("serving on ")[1].split()[0]

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def kali_run(*args: str, cwd: Path, env: dict[str, str]) -> Program:
    return Program([sys.executable, "-m", "kali", "run", *args], cwd, env)


class FakeBrowser:
    """A browser stand-in (`KALI_BROWSER`): it records each launch and stays open until
    [`close`][] (a window the user closes)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / "fake-browser"
        self.path.write_text(FAKE_BROWSER)
        self.path.chmod(0o755)

    def launches(self) -> list[dict[str, object]]:
        log = self.folder / "launches.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def wait_for_launches(self, count: int, timeout: float = 10.0) -> list[dict[str, object]]:
        deadline = time.monotonic() + timeout
        while len(found := self.launches()) < count:
            assert time.monotonic() < deadline, f"{len(found)} launches, not {count}"
            time.sleep(0.02)
        return found

    def close(self) -> None:
        (self.folder / "quit").write_text("")

    def env(self, home: Path) -> dict[str, str]:
        """The environment of a program that opens its windows with this browser, with its
        lock files and profiles under `home`."""
        return {
            "KALI_BROWSER": str(self.path),
            "FAKE_BROWSER_DIR": str(self.folder),
            "DISPLAY": ":kali-test",
            "XDG_RUNTIME_DIR": str(home / "run"),
            "XDG_DATA_HOME": str(home / "data"),
        }


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except OSError:
        return True
