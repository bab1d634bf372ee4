"""`kali run module:app --reload`: restart the program when its Python code changes.

The command runs a *supervisor* that never imports the app. It binds the
listening socket once, starts the program as a child process (`python -m kali run
...` without `--reload`) that serves on that same socket, and polls the
modification times of the `.py` files under the app's folder twice a second (the
standard library only; no file-system events). When one changes, it stops the
child (SIGTERM: the same graceful path as Ctrl-C) and starts a new one.

Because the supervisor holds the socket, the port never changes and is never
free: a browser that connects while the new child starts waits in the socket's
backlog and is answered by the new code. Open pages reload themselves: their
lifeline connection (see [`kali.desktop.lifeline`][kali.desktop.lifeline])
reconnects and finds a new server instance. On Windows, where a listening socket
cannot be handed to a child this way, each child binds the port itself, retrying
while the previous one lets go of it.

A child that exits by itself with status 0 (the last window closed, a Quit button)
ends the supervisor with it; one that fails (an exception while importing the
edited module, say) is restarted at the next change.

The supervisor talks to its child through the environment: `KALI_RELOADER`
(the supervisor's process id: the child is under a reloader), `KALI_RESTART`
(`1` from the second child on: no browser is opened again) and, on POSIX,
`KALI_LISTEN_FD` (the descriptor of the inherited listening socket).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Final

RELOADER_ENV: Final = "KALI_RELOADER"
RESTART_ENV: Final = "KALI_RESTART"
LISTEN_FD_ENV: Final = "KALI_LISTEN_FD"
POLL_INTERVAL: Final = 0.5
"""Seconds between two scans of the watched files."""
MAX_FILES: Final = 20_000
"""At most this many `.py` files are watched (a folder holding a whole home is cut short)."""
_SKIPPED: Final = frozenset({"__pycache__", "node_modules", "site-packages", "build", "dist"})
_STOP_SECONDS: Final = 10.0


def under_reloader() -> bool:
    """Whether this process is a child of `kali run --reload`."""
    return bool(os.environ.get(RELOADER_ENV))


def supervisor_pid() -> int | None:
    """The process id of the `--reload` supervisor this process is a child of, or `None`."""
    text = os.environ.get(RELOADER_ENV, "")
    return int(text) if text.isdigit() else None


def restarted() -> bool:
    """Whether this child was started after a change (not the first one)."""
    return os.environ.get(RESTART_ENV) == "1"


def inherited_listener() -> socket.socket | None:
    """The listening socket handed down by the supervisor, or `None`.

    Taken once: the variable is removed, so a program the app starts does not
    think it has the socket too.
    """
    fd = os.environ.pop(LISTEN_FD_ENV, None)
    if fd is None or not fd.isdigit():
        return None
    return socket.socket(fileno=int(fd))


def watch_root(module_name: str) -> Path:
    """The folder watched for `module_name` (`pkg.web` → `pkg`'s folder; `demo` → the
    folder of `demo.py`), found without importing the module."""
    top = module_name.partition(".")[0]
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    spec = find_spec(top)
    if spec is None:
        raise SystemExit(f"kali: no module named {top!r} (run from its folder?)")
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    if spec.origin is None or not os.path.isfile(spec.origin):
        raise SystemExit(f"kali: --reload needs a module in a file; {top!r} is built in")
    return Path(spec.origin).resolve().parent


def python_files(root: Path) -> Iterator[Path]:
    """The `.py` files under `root`, skipping hidden folders, `__pycache__`, virtual
    environments (a folder with `pyvenv.cfg`) and installed packages."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        if folder != root and any(entry.name == "pyvenv.cfg" for entry in entries):
            continue
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not name.startswith(".") and name not in _SKIPPED:
                        stack.append(Path(entry.path))
                elif name.endswith(".py"):
                    yield Path(entry.path)
            except OSError:
                continue


class FileWatcher:
    """Modification times of the `.py` files under a folder, compared scan by scan."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seen = self._scan()

    @property
    def count(self) -> int:
        """How many files are watched."""
        return len(self._seen)

    def _scan(self) -> dict[Path, int]:
        seen: dict[Path, int] = {}
        for path in python_files(self.root):
            try:
                seen[path] = path.stat().st_mtime_ns
            except OSError:
                continue
            if len(seen) >= MAX_FILES:
                break
        return seen

    def changed(self) -> list[Path]:
        """The files added, removed or modified since the last call (or the start)."""
        now = self._scan()
        before = self._seen
        self._seen = now
        if now == before:
            return []
        return sorted(
            {path for path in now.keys() | before.keys() if now.get(path) != before.get(path)}
        )


def bind(address: str, port: int) -> socket.socket:
    """A listening socket on `address` and `port`, or `SystemExit` with one line saying why not."""
    from ..listening import BindError, listen

    try:
        return listen(address, port)
    except BindError as exc:
        raise SystemExit(f"kali: {exc.strerror}") from None


def bind_retrying(address: str, port: int, seconds: float = 10.0) -> socket.socket:
    """[`bind`][kali.desktop.reload.bind], retried while the port is still taken
    (the previous child is letting go of it)."""
    from ..listening import BindError, listen

    deadline = time.monotonic() + seconds
    while True:
        try:
            return listen(address, port)
        except BindError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise SystemExit(f"kali: {exc.strerror}") from None
            time.sleep(0.1)


def supervise(module_name: str, child_args: Sequence[str], address: str, port: int) -> int:
    """Run `python -m kali <child_args>` and restart it when a watched file changes.

    `child_args` is the command line of one child (`run module:app ...` without
    `--reload`); the supervisor adds `--port` when the children bind by themselves.
    Returns the exit status for the command line (0 once the child ended by itself
    with 0, or on Ctrl-C / SIGTERM).
    """
    root = watch_root(module_name)
    listener = bind(address, port)
    port = listener.getsockname()[1]
    share = hasattr(os, "fork")  # POSIX: the children inherit the socket
    if not share:
        listener.close()  # each child binds the port itself (Windows)
    watcher = FileWatcher(root)
    print(
        f"kali: --reload: watching {watcher.count} Python files under {root}",
        flush=True,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        # Ctrl-C or SIGTERM: stop the child and end. Handled here rather than left to
        # KeyboardInterrupt, which Python does not raise when the supervisor started
        # with SIGINT ignored (a background job of a shell script). A second one
        # while the child is stopping kills it at once.
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    child: subprocess.Popen[bytes] | None = None
    first = True
    try:
        while True:
            env = {**os.environ, RELOADER_ENV: str(os.getpid())}
            if not first:
                env[RESTART_ENV] = "1"
            args = [sys.executable, "-m", "kali", *child_args]
            # The child is in a process group of its own, so a Ctrl-C in the terminal
            # reaches the supervisor only, which stops the child once (SIGTERM).
            if share:
                env[LISTEN_FD_ENV] = str(listener.fileno())
                child = subprocess.Popen(
                    args, env=env, pass_fds=(listener.fileno(),), process_group=0
                )
            else:
                child = subprocess.Popen(
                    [*args, "--port", str(port)],
                    env=env,
                    creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
                )
            first = False
            status = _run_until_change(child, watcher, stop.is_set)
            if stop.is_set():
                return 0
            if status == 0:
                return 0  # the program ended by itself: so does the command
            if status is not None:
                print(
                    f"kali: --reload: the program exited with status {status}; "
                    "waiting for a change to start it again",
                    flush=True,
                )
                while not stop.is_set() and not watcher.changed():
                    time.sleep(POLL_INTERVAL)
                if stop.is_set():
                    return 0
    except KeyboardInterrupt:
        # Ctrl-C: the child, in a process group of its own, is stopped below.
        return 0
    finally:
        if child is not None and child.poll() is None:
            _stop(child)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            listener.close()


def _run_until_change(
    child: subprocess.Popen[bytes], watcher: FileWatcher, stopping: Callable[[], bool]
) -> int | None:
    """Wait until the child exits (its status) or a file changes (`None`, once the
    child is stopped)."""
    while True:
        status = child.poll()
        if status is not None:
            return status
        if stopping():
            return None
        changed = watcher.changed()
        if changed:
            names = ", ".join(str(path.relative_to(watcher.root)) for path in changed[:3])
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            print(f"kali: --reload: {names}{more} changed; restarting", flush=True)
            _stop(child)
            return None
        time.sleep(POLL_INTERVAL)


def _stop(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, OSError):
        child.terminate()  # SIGTERM: the server shuts down as on Ctrl-C
    try:
        child.wait(_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    except KeyboardInterrupt:
        child.kill()
        child.wait()
        raise


__all__ = [
    "LISTEN_FD_ENV",
    "POLL_INTERVAL",
    "RELOADER_ENV",
    "RESTART_ENV",
    "FileWatcher",
    "bind",
    "bind_retrying",
    "inherited_listener",
    "python_files",
    "restarted",
    "supervise",
    "supervisor_pid",
    "under_reloader",
    "watch_root",
]
