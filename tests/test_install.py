"""An app outside the checkout is type-checked against the kali installed by `dev.py`.

`python3 dev.py check` runs this in `.venv`, where kali is installed editable. The app is
written to a temporary folder and mypy is run there, as a user would run it in their own
project: it must find kali (a path entry, not an import hook mypy cannot follow) and check
the handlers against kali's annotations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
import kali

app = kali.App()


@app.get("/")
def index(request: kali.Request) -> str:
    return "<h1>Contacts</h1>"


@app.get("/contact/<int:id>")
def show(request: kali.Request, id: int) -> kali.Response:
    return kali.Response.redirect(app.url_for(index))
"""

BAD = """\
import kali

app = kali.App()


@app.get("/")
def index(request: kali.Request) -> str:
    return request.method.count("G")
"""


def outside_env() -> dict[str, str]:
    """The environment without anything that would point Python or mypy at the checkout."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}


def test_mypy_finds_the_installed_kali_from_another_folder(tmp_path: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import kali, mypy; print(kali.__file__)"],
        cwd=tmp_path,
        env=outside_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if where.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but kali or mypy is not installed here:\n{where.stderr}")
        pytest.skip("kali is not installed in this environment (python3 dev.py check does it)")
    assert Path(where.stdout.strip()).is_relative_to(ROOT / "kali"), where.stdout

    (tmp_path / "contacts.py").write_text(GOOD)
    (tmp_path / "broken.py").write_text(BAD)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "contacts.py", "broken.py"],
        cwd=tmp_path,
        env=outside_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert "import-not-found" not in output and "untyped" not in output, output
    # The one deliberate mistake is found, in the file that has it, and nothing else.
    assert result.returncode == 1, output
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert len(errors) == 1, output
    assert errors[0].startswith("broken.py:8: error: Incompatible return value type"), output
