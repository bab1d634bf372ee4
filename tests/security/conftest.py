"""Fixtures of the security suite: the target app in its own process, under kali's
server (`native`) or under waitress through the WSGI adapter (`wsgi`)."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["native", "wsgi"]

if not sys.platform.startswith("linux"):  # /proc, RLIMIT_NOFILE, MSG_DONTWAIT
    pytest.skip("the security suite reads /proc: Linux only", allow_module_level=True)


@dataclass
class Target:
    """A running target app: its kind, port, process, and what it printed."""

    kind: str
    port: int
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_log(self) -> list[tuple[str, str, int]]:
        """`(method, path, status)` of each request logged so far (with `--access-log`)."""
        text = self.stderr.read_text(errors="replace")
        return [(m[1], m[2], int(m[3])) for m in re.finditer(r"\b([A-Z]+) (/\S*) (\d{3})\b", text)]

    def output(self) -> str:
        """What the process printed so far, stdout then stderr."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


TargetFactory = Callable[..., Target]


def _start(kind: str, args: tuple[str, ...], folder: Path) -> Target:
    folder.mkdir(parents=True, exist_ok=True)
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.security.target_app", kind, *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=err,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"kali-target: (\d+)", stdout.read_text(errors="replace"))
        if found:
            return Target(kind, int(found[1]), process, stdout, stderr)
        if process.poll() is not None:
            break
        time.sleep(0.02)
    _stop(process)
    raise RuntimeError(
        f"the {kind} target did not start:\n{stdout.read_text()}\n{stderr.read_text()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def start_target(tmp_path: Path) -> Iterator[TargetFactory]:
    """`start_target(kind, *args)`: a fresh target process, stopped after the test."""
    started: list[Target] = []

    def start(kind: str, *args: str) -> Target:
        target = _start(kind, args, tmp_path / f"{kind}-{len(started)}")
        started.append(target)
        return target

    yield start
    for target in started:
        _stop(target.process)
        print(f"--- {target.kind} target output ---\n{target.output()}")


def shared_target(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A target with its access log on, for the `target` fixtures."""
    started = _start(kind, ("--access-log",), tmp_path_factory.mktemp(f"target-{kind}"))
    yield started
    _stop(started.process)


@pytest.fixture(scope="session", params=KINDS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """One target of each kind for the whole suite, for tests that leave it as they found
    it (a test that changes its counter compares before and after). It logs each request
    (`Target.access_log`); tests that measure time or memory start their own."""
    yield from shared_target(request.param, tmp_path_factory)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """`native` (kali's server) or `wsgi` (waitress through kali.wsgi)."""
    return str(request.param)


def xfail_under(request: pytest.FixtureRequest, kind: str, failing: dict[str, str]) -> None:
    """Mark the running test as an expected (strict) failure when `kind` is a key of
    `failing`; the value says what fails and what was measured."""
    if kind in failing:
        request.applymarker(pytest.mark.xfail(strict=True, reason=failing[kind]))


def raise_descriptor_limit(needed: int) -> None:
    """Let this process (and the targets it starts) open `needed` descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"needs {needed} descriptors; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
