"""Where a desktop program keeps its files, on Linux, macOS and Windows.

- [`user_data_dir`][kali.desktop.paths.user_data_dir], for lasting files: `$XDG_DATA_HOME`
  or `~/.local/share` on Linux, `~/Library/Application Support` on macOS,
  `%LOCALAPPDATA%` on Windows;
- [`runtime_dir`][kali.desktop.paths.runtime_dir], for lock files: `$XDG_RUNTIME_DIR`,
  else `$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
  `%LOCALAPPDATA%` on Windows.

Nothing here creates a folder; the callers do, when they write.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME") or environ.get("USERPROFILE")
    return Path(home) if home else Path.home()


def user_data_dir(
    name: str, *, platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> Path:
    """The folder for the lasting files of the program called `name` (its database, say).

    For a shipped program whose current directory is wherever it was started from:

        db = kali.sqlite.connect(user_data_dir("Notes") / "notes.sqlite3")

    (create the folder first: `path.mkdir(parents=True, exist_ok=True)`).
    """
    if platform == "win32":
        base = environ.get("LOCALAPPDATA") or environ.get("APPDATA")
        root = Path(base) if base else _home(environ) / "AppData" / "Local"
    elif platform == "darwin":
        root = _home(environ) / "Library" / "Application Support"
    else:
        xdg = environ.get("XDG_DATA_HOME")
        root = Path(xdg) if xdg else _home(environ) / ".local" / "share"
    return root / name


def runtime_dir(
    name: str, *, platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> Path:
    """The folder for the short-lived files of the program called `name`: lock files.

    On Linux, `$XDG_RUNTIME_DIR` is emptied when the user logs out, so a lock file
    left by a crash does not outlive the session.
    """
    if platform == "win32":
        base = environ.get("LOCALAPPDATA") or environ.get("TEMP")
        root = Path(base) if base else _home(environ) / "AppData" / "Local"
    elif platform == "darwin":
        root = _home(environ) / "Library" / "Caches"
    else:
        xdg = environ.get("XDG_RUNTIME_DIR") or environ.get("XDG_CACHE_HOME")
        root = Path(xdg) if xdg else _home(environ) / ".cache"
    return root / name


__all__ = ["runtime_dir", "user_data_dir"]
