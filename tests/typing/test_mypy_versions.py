"""The plugin under the mypy releases it supports, not only the installed one.

The dev extra pins mypy to the releases kali.mypy is tested with: the newest
(what ``pip install -e .[dev]`` installs) and the two before it. The ordinary
test run uses the installed mypy; this module runs the whole ``tests/typing``
suite again under each older release, each in a virtual environment made once
under ``.venv-mypy/`` (pip, from the package index), and only when asked:

    KALI_MYPY_VERSIONS=all python -m pytest tests/typing/test_mypy_versions.py
    KALI_MYPY_VERSIONS="2.2.0 2.3.1" python -m pytest tests/typing/test_mypy_versions.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

#: The releases before the dev extra's mypy (2.4.1) that kali.mypy is tested with.
OLDER = ("2.3.1", "2.2.0")
#: mypy minor versions the docs (docs/routing.md, "Versions") say are tested.
TESTED_MINORS = ("2.4", "2.3", "2.2")
VENVS = ROOT / ".venv-mypy"


def requested() -> list[str]:
    wanted = os.environ.get("KALI_MYPY_VERSIONS", "").replace(",", " ").split()
    return list(OLDER) if wanted == ["all"] else wanted


def test_installed_mypy_is_a_tested_release() -> None:
    mypy_version = pytest.importorskip("mypy.version")
    minor = ".".join(mypy_version.__version__.split(".")[:2])
    assert minor in TESTED_MINORS, (
        f"mypy {mypy_version.__version__} is not among the releases kali.mypy is tested "
        "with: test it (this module), then update OLDER, TESTED_MINORS, the dev extra's pin "
        "and docs/routing.md"
    )


def test_docs_name_the_tested_releases() -> None:
    text = (ROOT / "docs" / "routing.md").read_text()
    for version in OLDER:
        assert version in text


def venv_python(version: str) -> Path:
    """The Python of a virtual environment with mypy ``version`` and pytest (made once)."""
    venv = VENVS / f"mypy-{version}"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = venv / ".kali-ready"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        packages = [f"mypy=={version}", "pytest>=8", "typing-extensions>=4.7"]
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, *packages], check=True)
        stamp.write_text(version)
    return python


@pytest.mark.skipif(not requested(), reason="set KALI_MYPY_VERSIONS=all to test older mypys")
@pytest.mark.parametrize("version", requested() or ["-"])
def test_typing_suite_passes_under(version: str) -> None:
    python = venv_python(version)
    found = subprocess.run(
        [str(python), "-c", "import mypy.version; print(mypy.version.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == version
    env = {k: v for k, v in os.environ.items() if k != "KALI_MYPY_VERSIONS"}
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/typing"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
