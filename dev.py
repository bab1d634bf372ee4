#!/usr/bin/env python3
"""Developer commands, needing nothing but python3 (3.11+) and pip.

    python3 dev.py demo     run the demo app (examples/demo.py) in a browser
    python3 dev.py check    run every check: ruff, mypy --strict, pytest, mkdocs build --strict
    python3 dev.py bench    run the benchmarks, then benchmarks/plots.py (see benchmarks/README.md)

Each command first makes the virtual environment ``.venv`` it needs (once,
and again when pyproject.toml changes). Extra arguments after ``check`` go
to pytest, e.g. ``python3 dev.py check -k server``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*args: str | Path, **env: str) -> None:
    """Run a command from the repository root; stop with its exit code if it fails."""
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env={**os.environ, **env})
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(extras: str) -> None:
    """Create .venv and install kali (editable) with ``extras``, when needed.

    The editable install is a plain path entry for the checkout (pyproject.toml's
    ``package-dir`` makes setuptools choose it), so mypy run on an app in another
    folder with ``.venv/bin/python -m mypy`` finds kali; tests/test_install.py checks it.
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"kali needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / f".installed-{extras or 'runtime'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating the virtual environment {VENV.name}/", flush=True)
        created = subprocess.run([sys.executable, "-m", "venv", str(VENV)], cwd=ROOT)
        if created.returncode != 0:
            # Debian without python3-venv has no ensurepip: make the venv
            # without pip and install into it with this Python's pip.
            run(sys.executable, "-m", "venv", "--without-pip", "--clear", VENV)
    has_pip = (
        subprocess.run(
            [str(PYTHON), "-m", "pip", "--version"], capture_output=True, cwd=ROOT
        ).returncode
        == 0
    )
    pip = [PYTHON, "-m", "pip"] if has_pip else [sys.executable, "-m", "pip", "--python", PYTHON]
    target = f".[{extras}]" if extras else "."
    run(*pip, "install", "--quiet", "--disable-pip-version-check", "-e", target)
    stamp.write_text(digest)


def demo(args: list[str]) -> None:
    ensure_venv("")
    os.execv(PYTHON, [str(PYTHON), str(ROOT / "examples" / "demo.py"), *args])


def check(args: list[str]) -> None:
    ensure_venv("dev")
    run(PYTHON, "-m", "ruff", "check", ".")
    run(PYTHON, "-m", "ruff", "format", "--check", ".")
    run(PYTHON, "-m", "mypy", "--strict", "kali", "examples")
    run(PYTHON, "-m", "pytest", *args)
    # Not --quiet: it hides the warnings that --strict counts, and the build passes.
    run(
        PYTHON,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        VENV / "site",
        NO_MKDOCS_2_WARNING="1",
    )
    print("All checks passed.", flush=True)


def bench(args: list[str]) -> None:
    ensure_venv("dev,bench")
    for name in (
        "bench_server",
        "bench_overhead",
        "bench_live",
        "bench_routing",
        "bench_templates",
    ):
        if (ROOT / "benchmarks" / f"{name}.py").exists():
            run(PYTHON, "-m", f"benchmarks.{name}", *args)
    # The figures and tables of docs/performance.md, from the newest full runs.
    run(PYTHON, "-m", "benchmarks.plots")


COMMANDS = {"demo": demo, "check": check, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
