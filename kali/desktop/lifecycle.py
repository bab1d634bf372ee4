"""What [`serve_http`][kali.serve_http] does around its server for the desktop options.

[`Lifecycle`][kali.desktop.lifecycle.Lifecycle] puts the parts of
[`kali.desktop`][kali.desktop] together, in the order a program lives:

1. [`running`][kali.desktop.lifecycle.Lifecycle.running]: with an `app_id`, claim
   the instance lock, or find the program already running (then
   [`hand_over`][kali.desktop.lifecycle.Lifecycle.hand_over] opens a window on it,
   and this launch serves nothing);
2. the server is made around [`handler`][kali.desktop.lifecycle.Lifecycle.handler]
   (the app inside a [`Lifeline`][kali.desktop.lifeline.Lifeline] when one is
   needed) and [`listener`][kali.desktop.lifecycle.Lifecycle.listener] (the socket
   a `--reload` supervisor handed down);
3. [`attach`][kali.desktop.lifecycle.Lifecycle.attach]: the lock gets the URL, and
   the last window closing shuts the server down, as Ctrl-C does;
4. [`open`][kali.desktop.lifecycle.Lifecycle.open]: the window, or a browser tab;
5. [`close`][kali.desktop.lifecycle.Lifecycle.close], once the server stopped: the
   lock is removed and the window kali opened is closed.

With none of the options on, the handler is served as it is and only the browser
tab is opened, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..options import ServerOptions
from ..scheduler import Timer
from ..typing import Handler
from .instance import InstanceLock, Running, process_alive
from .lifeline import Lifeline
from .paths import user_data_dir
from .reload import (
    bind_retrying,
    inherited_listener,
    restarted,
    supervisor_pid,
    under_reloader,
)
from .window import find_browser, has_display, launch_window, open_in_browser, profile_root

if TYPE_CHECKING:
    from ..server import Server

log = logging.getLogger("kali")

BROWSER_POLL = 1.0
"""How often the window's browser process is checked, in seconds (on the serving thread)."""


class Lifecycle:
    """The window, the instance lock and the lifeline of one served program.

    Args:
        handler: what the program serves.
        options: its [`ServerOptions`][kali.ServerOptions] (`window`, `window_size`,
            `exit_when_closed`, `app_id`, `open_browser` are read here).
    """

    def __init__(self, handler: Handler, options: ServerOptions) -> None:
        self.options = options
        self.reloading = under_reloader()
        """Under `kali run --reload`: pages reload when the program restarts."""
        exit_when_closed = options.exit_when_closed
        self.exit_when_closed = options.window if exit_when_closed is None else exit_when_closed
        """Whether the program ends when its last window closes."""
        inject = self.exit_when_closed or self.reloading
        self.lifeline: Lifeline | None = None
        if inject or options.app_id is not None:
            self.lifeline = Lifeline(
                handler, app_id=options.app_id, inject=inject, debug=options.debug
            )
        self.handler: Handler = self.lifeline if self.lifeline is not None else handler
        """What the server serves: the handler, or the lifeline around it."""
        self.lock = InstanceLock(options.app_id) if options.app_id is not None else None
        self.browser: subprocess.Popen[bytes] | None = None
        """The browser process of the window kali opened, once it is started."""
        self._profile: Path | None = None
        self._temporary_profile = False
        self._server: Server | None = None
        self._poll: Timer | None = None
        self._orphan: Timer | None = None

    # -- before the server -----------------------------------------------------

    def running(self) -> Running | None:
        """With an app id: the program already running it, or `None` once this
        process holds the lock (which [`close`][kali.desktop.lifecycle.Lifecycle.close]
        releases)."""
        return None if self.lock is None else self.lock.acquire()

    def hand_over(self, running: Running) -> None:
        """Open a window on the program already running (this launch then ends)."""
        print(
            f"kali: {self.options.app_id} is already running on {running.url} "
            f"(process {running.pid}); showing it",
            flush=True,
        )
        if self.options.open_browser:
            self._show(running.launch_url, track=False)

    def listener(self) -> socket.socket | None:
        """The listening socket to serve on, if not the server's own: the one a
        `--reload` supervisor handed down (on Windows, bound here, retrying while
        the previous child lets go of the port)."""
        inherited = inherited_listener()
        if inherited is None and self.reloading:
            return bind_retrying(self.options.address, self.options.port)
        return inherited

    # -- serving ---------------------------------------------------------------

    def attach(self, server: Server) -> None:
        """Tie the lock and the lifeline to the server, which is bound now."""
        self._server = server
        if self.lock is not None and self.lock.owned and self.lifeline is not None:
            self.lock.publish(server.url, server.launch_url, self.lifeline.instance)
        if self.lifeline is not None and self.exit_when_closed:
            self.lifeline.on_last_closed = self._last_closed
        supervisor = supervisor_pid()
        if supervisor is not None:
            # A child of `kali run --reload` ends with its supervisor, even a killed one.
            self._orphan = server.scheduler.every(1.0, self._check_supervisor, supervisor)

    def open(self, url: str) -> None:
        """Open the window (or a browser tab) on `url`, unless `open_browser` is off or
        this is a restart under `--reload`. Never waits for the browser."""
        if not self.options.open_browser or restarted():
            return
        self._show(url, track=True)

    def close(self) -> None:
        """After the server stopped: release the lock and close the window kali opened
        (not under `--reload`, whose next child goes on with the same window)."""
        for timer in (self._poll, self._orphan):
            if timer is not None:
                timer.cancel()
        self._poll = self._orphan = None
        if self.lock is not None:
            self.lock.release()
        browser = self.browser
        if self.reloading:
            return
        if browser is not None and browser.poll() is None:
            with contextlib.suppress(OSError):
                browser.terminate()
            try:
                browser.wait(5)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
        if self._temporary_profile and self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)

    # -- the window -------------------------------------------------------------

    def _show(self, url: str, *, track: bool) -> None:
        if not has_display():
            what = "window" if self.options.window else "browser"
            print(f"kali: no display, so no {what} opened; visit the URL above", flush=True)
            return
        if self.options.window:
            browser = find_browser()
            if browser is not None:
                profile = self._profile_dir(browser)
                size = self.options.window_size
                if not track:  # a hand-over: this process ends right after
                    try:
                        launch_window(browser, url, profile=profile, size=size)
                        return
                    except OSError as exc:
                        log.warning("kali: could not start %s (%s)", browser, exc)
                else:
                    threading.Thread(
                        target=self._launch, args=(browser, url, profile), daemon=True
                    ).start()
                    if self._server is not None:
                        self._poll = self._server.scheduler.every(BROWSER_POLL, self._watch)
                    return
            else:
                print(
                    "kali: no Chrome, Chromium, Edge or Brave found for an app window; "
                    "opening the default browser",
                    flush=True,
                )
        open_in_browser(url, wait=not track)

    def _launch(self, browser: str, url: str, profile: Path) -> None:
        # In a thread: starting a process may take a moment; the server is serving.
        try:
            self.browser = launch_window(
                browser, url, profile=profile, size=self.options.window_size
            )
        except OSError as exc:
            log.warning("kali: could not start %s (%s); opening the default browser", browser, exc)
            open_in_browser(url, wait=True)

    def _watch(self) -> None:
        # On the serving thread, every BROWSER_POLL seconds: has the window's browser exited?
        browser = self.browser
        if browser is None or browser.poll() is None:
            return
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None
        log.info("kali: the window's browser exited (status %s)", browser.returncode)
        if self.lifeline is not None and self.exit_when_closed:
            # Its pages have gone with it; a window handed to a browser already
            # running keeps its own lifeline.
            self.lifeline.arm()

    def _check_supervisor(self, pid: int) -> None:
        if os.getppid() != pid and self._server is not None:
            print("kali: the --reload supervisor is gone, shutting down", flush=True)
            self._server.shutdown()

    def _profile_dir(self, browser: str) -> Path:
        if self._profile is not None:
            return self._profile
        windows = profile_root(browser, user_data_dir("kali") / "windows")
        app_id = self.options.app_id
        if app_id is not None:
            digest = hashlib.sha256(app_id.encode()).hexdigest()[:16]
            readable = re.sub(r"[^A-Za-z0-9._-]+", "-", app_id).strip("-.")[-40:] or "app"
            self._profile = windows / f"{readable}-{digest}"
        else:
            _remove_stale_profiles(windows)
            owner = supervisor_pid() or os.getpid()
            self._profile = windows / f"tmp-{owner}"
            self._temporary_profile = True
        return self._profile

    def _last_closed(self) -> None:
        print("kali: the last window closed, shutting down", flush=True)
        if self._server is not None:
            self._server.shutdown()  # as Ctrl-C does

    def __repr__(self) -> str:
        return f"<Lifecycle window={self.options.window} exit={self.exit_when_closed}>"


def _remove_stale_profiles(windows: Path) -> None:
    # Temporary profiles of programs that did not remove theirs (killed, or run
    # under --reload): `tmp-<pid>` whose process is gone.
    with contextlib.suppress(OSError):
        for entry in windows.iterdir():
            name = entry.name
            if name.startswith("tmp-") and name[4:].isdigit() and not process_alive(int(name[4:])):
                shutil.rmtree(entry, ignore_errors=True)


__all__ = ["BROWSER_POLL", "Lifecycle"]
