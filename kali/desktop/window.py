"""The app window: a Chromium-family browser in app mode, else the default browser.

A browser started with `--app=URL` shows the page in a window of its own, with no
tabs, address bar or bookmarks: the program looks like a desktop program. Chrome,
Chromium, Edge and Brave all have that mode. kali starts one with its own profile
folder (`--user-data-dir`), so the window is not a tab of the browser the user
already has open, and the process it starts is the window's: kali tracks it (see
[`kali.desktop`][kali.desktop]).

[`find_browser`][kali.desktop.window.find_browser] looks, in this order, for Chrome,
Chromium, Edge and Brave, first at the standard install locations of the platform
([`browser_candidates`][kali.desktop.window.browser_candidates] lists them), then
on `PATH`. The environment variable `KALI_BROWSER` overrides the search: a path or
command name of a Chromium-family browser, or `default` for the default browser.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Mapping
from pathlib import Path
from typing import Final

log = logging.getLogger("kali")

PATH_NAMES: Final = {
    "linux": (
        "google-chrome",
        "google-chrome-stable",
        "chromium",
        "chromium-browser",
        "microsoft-edge",
        "microsoft-edge-stable",
        "brave-browser",
        "brave",
    ),
    "darwin": ("google-chrome", "chromium", "microsoft-edge", "brave-browser"),
    "win32": ("chrome", "msedge", "brave"),
}
"""Names of Chromium-family browsers looked up on `PATH`, in order of preference."""

_LINUX_PATHS: Final = (
    "/opt/google/chrome/chrome",
    "/usr/bin/google-chrome",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/snap/bin/chromium",
    "/opt/microsoft/msedge/msedge",
    "/usr/bin/microsoft-edge",
    "/opt/brave.com/brave/brave",
    "/usr/bin/brave-browser",
)
_MAC_APPS: Final = (
    ("Google Chrome", "Google Chrome"),
    ("Chromium", "Chromium"),
    ("Microsoft Edge", "Microsoft Edge"),
    ("Brave Browser", "Brave Browser"),
)
_WINDOWS_PATHS: Final = (
    r"Google\Chrome\Application\chrome.exe",
    r"Chromium\Application\chrome.exe",
    r"Microsoft\Edge\Application\msedge.exe",
    r"BraveSoftware\Brave-Browser\Application\brave.exe",
)


def has_display() -> bool:
    """Whether a graphical browser can be shown (always on Windows and macOS)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def browser_candidates(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> list[str]:
    """The standard install locations of Chrome, Chromium, Edge and Brave on `platform`
    (`sys.platform`'s values), most preferred first.

    - Linux: `/opt/google/chrome/chrome`, `/usr/bin/google-chrome`, `/usr/bin/chromium`,
      `/usr/bin/chromium-browser`, `/snap/bin/chromium`, `/opt/microsoft/msedge/msedge`,
      `/usr/bin/microsoft-edge`, `/opt/brave.com/brave/brave`, `/usr/bin/brave-browser`.
    - macOS: `<app>.app/Contents/MacOS/<app>` in `/Applications` then `~/Applications`, for
      Google Chrome, Chromium, Microsoft Edge and Brave Browser.
    - Windows: under `%ProgramFiles%`, `%ProgramFiles(x86)%` and `%LOCALAPPDATA%`:
      `Google\\Chrome\\Application\\chrome.exe`, `Chromium\\Application\\chrome.exe`,
      `Microsoft\\Edge\\Application\\msedge.exe`,
      `BraveSoftware\\Brave-Browser\\Application\\brave.exe`.
    """
    if platform == "win32":
        bases = [
            environ.get(name)
            for name in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA")
            if environ.get(name)
        ]
        return [f"{base}\\{relative}" for relative in _WINDOWS_PATHS for base in bases]
    if platform == "darwin":
        home = environ.get("HOME", "~")
        return [
            f"{folder}/{app}.app/Contents/MacOS/{exe}"
            for app, exe in _MAC_APPS
            for folder in ("/Applications", f"{home}/Applications")
        ]
    return list(_LINUX_PATHS)


def find_browser(environ: Mapping[str, str] = os.environ) -> str | None:
    """The executable of a Chromium-family browser to open app windows with, or `None`.

    `KALI_BROWSER` in the environment wins: a path or a command name (`None` if it
    names nothing runnable, with a warning), or `default` for none (the default
    browser is then used).
    """
    chosen = environ.get("KALI_BROWSER")
    if chosen:
        if chosen == "default":
            return None
        found = shutil.which(chosen)
        if found is None:
            log.warning("kali: KALI_BROWSER=%s is not a program that can be run", chosen)
        return found
    platform = "linux" if sys.platform.startswith(("linux", "freebsd")) else sys.platform
    for path in browser_candidates(platform, environ):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    for name in PATH_NAMES.get(platform, PATH_NAMES["linux"]):
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def profile_root(browser: str, default: Path) -> Path:
    """Where the profile folders of app windows go for `browser`: `default`, except for
    a Snap package (Ubuntu's Chromium), whose confinement allows only its own folder,
    `~/snap/<name>/common`, among hidden ones."""
    name = None
    if browser.startswith("/snap/bin/"):
        name = os.path.basename(browser).split(".")[0]
    elif os.path.basename(browser) in ("chromium", "chromium-browser") and os.path.exists(
        "/snap/bin/chromium"
    ):
        try:
            with open(browser, "rb") as file:
                wrapper = file.read(2) == b"#!"  # Ubuntu's deb: a script that runs the snap
        except OSError:
            wrapper = False
        if wrapper:
            name = "chromium"
    if name is None:
        return default
    return Path.home() / "snap" / name / "common" / "kali-windows"


def window_command(
    browser: str, url: str, *, profile: Path, size: tuple[int, int] | None = None
) -> list[str]:
    """The command that opens `url` in an app window of `browser`, with the profile
    folder `profile` and, if given, a window `size` (width, height) in pixels."""
    command = [
        browser,
        f"--app={url}",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
    ]
    if size is not None:
        command.append(f"--window-size={size[0]},{size[1]}")
    return command


def launch_window(
    browser: str, url: str, *, profile: Path, size: tuple[int, int] | None = None
) -> subprocess.Popen[bytes]:
    """Start `browser` showing `url` in an app window; return its process.

    The browser gets a session of its own (a Ctrl-C in the terminal is the server's
    to handle) and no terminal output.
    """
    profile.mkdir(parents=True, exist_ok=True)
    command = window_command(browser, url, profile=profile, size=size)
    quiet = subprocess.DEVNULL
    if sys.platform == "win32":
        return subprocess.Popen(
            command,
            stdin=quiet,
            stdout=quiet,
            stderr=quiet,
            creationflags=subprocess.CREATE_NEW_PROCESS_GROUP,
        )
    return subprocess.Popen(
        command, stdin=quiet, stdout=quiet, stderr=quiet, start_new_session=True
    )


def open_in_browser(url: str, *, wait: bool = False) -> None:
    """Open `url` in the default browser (a new tab, usually), in a thread unless `wait`:
    some platforms' launchers block until the browser is up."""
    if wait:
        webbrowser.open(url)
    else:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


__all__ = [
    "PATH_NAMES",
    "browser_candidates",
    "find_browser",
    "has_display",
    "launch_window",
    "open_in_browser",
    "profile_root",
    "window_command",
]
