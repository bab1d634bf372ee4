"""`kali ship script.py`: one executable for people without Python, built with PyInstaller.

PyInstaller (from PyPI: `pip install pyinstaller`, or kali's `ship` extra) follows the
script's imports and packs them with a Python interpreter into one file, `dist/<name>`
(`dist\\<name>.exe` on Windows), that runs on computers of the same kind (Linux, macOS or
Windows; it does not cross-build). `kali ship` runs it with what a kali app needs:

- `--data FOLDER` (repeatable): folders of templates and static files, relative to
  the script, packed at the same place relative to it; the app finds them at run
  time from `Path(__file__).parent`, as it does when run with Python;
- PyInstaller's work files go to a temporary folder, not beside your code;
- `--windowed` makes a program without a terminal window (Windows, macOS); without
  it the terminal shows kali's log.

The script is the program: it calls `app.run(window=True, app_id=...)` under
`if __name__ == "__main__":`, and its own command-line options work in the
executable too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path


def pyinstaller_command(
    script: Path,
    *,
    name: str | None = None,
    data: Sequence[str] = (),
    windowed: bool = False,
    onedir: bool = False,
    dist: Path = Path("dist"),
    work: Path,
) -> list[str]:
    """The PyInstaller command line that ships `script` (see the module docstring)."""
    script = script.resolve()
    here = script.parent
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(script),
        "--name",
        name or script.stem,
        "--onedir" if onedir else "--onefile",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist.resolve()),
        "--workpath",
        str(work / "build"),
        "--specpath",
        str(work),
        "--paths",
        str(here),
    ]
    for folder in data:
        source = (here / folder).resolve()
        if not source.is_dir():
            raise SystemExit(f"kali: --data {folder}: no folder {source} beside the script")
        relative = source.relative_to(here) if source.is_relative_to(here) else source.name
        command += ["--add-data", f"{source}{os.pathsep}{relative}"]
    if windowed:
        command.append("--windowed")
    return command


def ship(
    script: Path,
    *,
    name: str | None = None,
    data: Sequence[str] = (),
    windowed: bool = False,
    onedir: bool = False,
    dist: Path = Path("dist"),
) -> Path:
    """Build the executable of `script`; return its path.

    Raises:
        SystemExit: with one line saying what to do, when PyInstaller is not
            installed, the script or a data folder is missing, or the build fails.
    """
    if not script.is_file():
        raise SystemExit(f"kali: no script {script}")
    if find_spec("PyInstaller") is None:
        raise SystemExit(
            "kali: ship needs PyInstaller: pip install 'pyinstaller>=6' (kali's ship extra)"
        )
    with tempfile.TemporaryDirectory(prefix="kali-ship-") as work:
        command = pyinstaller_command(
            script,
            name=name,
            data=data,
            windowed=windowed,
            onedir=onedir,
            dist=dist,
            work=Path(work),
        )
        if subprocess.run(command).returncode != 0:
            raise SystemExit("kali: PyInstaller failed (its messages are above)")
    program = dist.resolve() / (name or script.stem)
    if onedir:
        program = program / (name or script.stem)
    if sys.platform == "win32":
        program = program.with_suffix(".exe")
    return program


__all__ = ["pyinstaller_command", "ship"]
