"""`kali ship`: the demo built into one executable with PyInstaller, started, served, ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import pytest

from kali.desktop.ship import pyinstaller_command

from .programs import ROOT, Program

pytestmark = pytest.mark.slow


def test_the_pyinstaller_command(tmp_path: Path) -> None:
    command = pyinstaller_command(
        ROOT / "examples" / "demo.py",
        name="notes",
        data=["templates", "static"],
        work=tmp_path,
        dist=tmp_path / "dist",
    )
    assert command[:4] == [sys.executable, "-m", "PyInstaller", str(ROOT / "examples" / "demo.py")]
    assert "--onefile" in command and "--windowed" not in command
    separator = os.pathsep
    assert f"{ROOT / 'examples' / 'templates'}{separator}templates" in command
    assert f"{ROOT / 'examples' / 'static'}{separator}static" in command
    with pytest.raises(SystemExit, match="no folder"):
        pyinstaller_command(ROOT / "examples" / "demo.py", data=["nowhere"], work=tmp_path)


def test_the_shipped_demo_starts_serves_and_ends(tmp_path: Path) -> None:
    if find_spec("PyInstaller") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PyInstaller is missing (the dev extra installs it)")
        pytest.skip("no PyInstaller (pip install 'pyinstaller>=6'): shipping test skipped")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "kali",
            "ship",
            "examples/demo.py",
            "--name",
            "notes",
            "--data",
            "templates",
            "--data",
            "static",
            "--dist",
            str(tmp_path / "dist"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    program_path = tmp_path / "dist" / ("notes.exe" if sys.platform == "win32" else "notes")
    assert f"kali: built {program_path}" in built.stdout
    # Started from another folder with no Python on its path, as a user would.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    program = Program(
        [str(program_path), "--port", "0", "--no-browser", "--db", ":memory:"], tmp_path, env
    )
    try:
        url = program.url(timeout=60)
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert "<title>kali notes</title>" in page and "No notes yet." in page
        with urllib.request.urlopen(url + "static/style.css", timeout=10) as response:
            assert response.status == 200
        program.process.send_signal(signal.SIGTERM)
        assert program.wait(30) == 0
        assert "kali: stopped" in program.output
    finally:
        program.stop()
