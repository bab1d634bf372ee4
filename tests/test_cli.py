"""``python -m kali run``: serving, logging, and shutting down on SIGTERM/Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

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
