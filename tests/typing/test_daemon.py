"""The plugin under the mypy daemon, which merges each new version of a file into the old
tree: what the plugin learnt of a module must follow the file, not the tree object.

It starts a daemon (a few seconds), so it runs only when asked:

    KALI_MYPY_DAEMON=1 python -m pytest tests/typing/test_daemon.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytest.importorskip("mypy.dmypy")
pytestmark = pytest.mark.skipif(
    not os.environ.get("KALI_MYPY_DAEMON"), reason="set KALI_MYPY_DAEMON=1 to test under dmypy"
)

PROGRAM = """\
from kali import App, Request

app = App()


@app.get("/item/<int:id>")
def show(request: Request, id: int) -> str:
    return app.url_for(show, id={first!r})


def make() -> App:
    local = App()

    @local.get("/page/<int:n>")
    def page(request: Request, n: int) -> str:
        return local.url_for(page, n="1")

    return local
"""


def dmypy(status: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KALI_MYPY_DEBUG": "1"}
    command = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(status), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def errors(result: subprocess.CompletedProcess[str]) -> list[int]:
    assert "INTERNAL ERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    return sorted(int(line.split(":")[1]) for line in lines if ": error:" in line)


def test_errors_follow_edits_under_the_daemon(tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    program = tmp_path / "daemon_app.py"
    config = ["--", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", os.devnull]
    try:
        program.write_text(PROGRAM.format(first="3"))
        assert errors(dmypy(status, "run", *config, str(program))) == [8, 16]
        program.write_text(PROGRAM.format(first=3))  # fixes line 8 only
        assert errors(dmypy(status, "run", *config, str(program))) == [16]
    finally:
        dmypy(status, "stop")
        shutil.rmtree(tmp_path / ".mypy_cache", ignore_errors=True)
