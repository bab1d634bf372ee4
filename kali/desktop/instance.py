"""One instance of a program: a lock file holding the running server's port.

A program given an app id (`app.run(app_id="notes")`) claims the lock file of
that id before it binds its socket, and writes its address into it once it
listens. A second launch with the same id finds the file, checks that the
program in it is still there, and hands over: it opens a window on the running
server and starts none of its own.

The file is a small JSON object (`pid`, `url`, `launch_url`, `instance`,
`app_id`) in [`runtime_dir("kali")`][kali.desktop.paths.runtime_dir]`/instances/`,
named after the app id. It is *stale*, and taken over, when:

- its process is gone (killed, crashed: nothing removed the file), or
- its process is alive but its port does not answer as this app (the process id
  was reused by another program): the connection is refused, or the server on the
  port has another instance id at `/_kali/instance`.

A server that is alive but slow to answer (a long handler) is taken as running.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from .paths import runtime_dir

log = logging.getLogger("kali")

INSTANCE_PATH: Final = "/_kali/instance"
"""The path where a kali server with an app id tells who it is (see `Lifeline`)."""


@dataclass(frozen=True, slots=True)
class Running:
    """The program that holds a lock: its process id and the URLs it serves."""

    pid: int
    url: str
    launch_url: str
    instance: str


def process_alive(pid: int) -> bool:
    """Whether a process with id `pid` exists (on Windows: and has not exited)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return False
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def lock_path(app_id: str) -> Path:
    """The lock file of `app_id`: its readable part, and a hash of all of it."""
    digest = hashlib.sha256(app_id.encode()).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", app_id).strip("-.")[-40:] or "app"
    return runtime_dir("kali") / "instances" / f"{readable}-{digest}.json"


def answers_as(url: str, instance: str, *, token: str | None = None, timeout: float = 2.0) -> bool:
    """Whether the server at `url` answers `/_kali/instance` with `instance`.

    A server that accepts the connection but does not answer within `timeout` is
    taken as busy, hence alive: `True`.
    """
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    connection = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    headers = {"Cookie": f"kali_token={token}"} if token else {}
    try:
        connection.request("GET", INSTANCE_PATH, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            return False
        found: Any = json.loads(response.read(4096))
    except TimeoutError:
        return True
    except (OSError, ValueError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return isinstance(found, dict) and found.get("instance") == instance


class InstanceLock:
    """The lock file that makes `app_id` run once.

        lock = InstanceLock("notes")
        running = lock.acquire()
        if running is not None:
            ...  # open a window on running.launch_url, and stop
        else:
            ...  # bind, then lock.publish(url, launch_url, instance); lock.release() at exit

    Args:
        app_id: what identifies the program (a name, or its database's path).
        path: the lock file; by default [`lock_path(app_id)`][kali.desktop.instance.lock_path].
    """

    def __init__(self, app_id: str, path: Path | None = None) -> None:
        self.app_id = app_id
        self.path = path if path is not None else lock_path(app_id)
        self.owned = False

    def acquire(self, wait: float = 5.0) -> Running | None:
        """Claim the lock, or find the program that holds it.

        Returns `None` once this process holds the lock (a stale one is taken over),
        else the [`Running`][kali.desktop.instance.Running] program. A program that
        holds it but is still starting (no URL yet) is waited for up to `wait`
        seconds, then taken as stale.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait
        for _attempt in range(1000):
            if self._create():
                self.owned = True
                return None
            info = self._read()
            if info == {}:
                continue  # removed meanwhile: claim it
            waiting = time.monotonic() < deadline
            if info is None:  # being written (or unreadable)
                if waiting:
                    time.sleep(0.05)
                else:
                    self._remove_stale(info)
                continue
            pid = info.get("pid")
            if not (isinstance(pid, int) and pid != os.getpid() and process_alive(pid)):
                self._remove_stale(info)  # its process is gone
                continue
            running = _running(info)
            if running is None:  # it claimed the lock and is binding its socket
                if waiting:
                    time.sleep(0.05)
                else:
                    self._remove_stale(info)
                continue
            if answers_as(running.url, running.instance, token=_token(running.launch_url)):
                return running
            self._remove_stale(info)  # the port is not this app's any more
        log.warning("kali: could not claim the lock file %s; serving anyway", self.path)
        return None

    def publish(self, url: str, launch_url: str, instance: str) -> None:
        """Write the running server's URLs into the lock (which this process holds)."""
        info = {
            "pid": os.getpid(),
            "url": url,
            "launch_url": launch_url,
            "instance": instance,
            "app_id": self.app_id,
        }
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(info, file)
        for _attempt in range(50):
            try:
                os.replace(temporary, self.path)
                return
            except PermissionError:  # Windows: a reader has it open for a moment
                time.sleep(0.02)
        os.replace(temporary, self.path)

    def release(self) -> None:
        """Remove the lock file if this process holds it."""
        if not self.owned:
            return
        self.owned = False
        info = self._read()
        if info is None or info.get("pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        except PermissionError:  # Windows: the file is being replaced or removed
            return False
        with os.fdopen(fd, "w") as file:
            json.dump({"pid": os.getpid(), "app_id": self.app_id}, file)
        return True

    def _read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}  # gone meanwhile: try to create it again
        except OSError:
            return None
        try:
            info = json.loads(text)
        except ValueError:
            return None
        return info if isinstance(info, dict) else None

    def _remove_stale(self, seen: dict[str, Any] | None) -> None:
        # Remove the file only if it still holds what was judged stale: another
        # launch may have taken it over meanwhile.
        if self._read() == seen:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            except PermissionError:  # Windows: open elsewhere for a moment
                time.sleep(0.05)

    def __repr__(self) -> str:
        return f"<InstanceLock {self.app_id!r} {'held' if self.owned else 'not held'}>"


def _running(info: dict[str, Any]) -> Running | None:
    pid, url, launch, instance = (info.get(k) for k in ("pid", "url", "launch_url", "instance"))
    if not (isinstance(pid, int) and isinstance(url, str) and isinstance(instance, str)):
        return None
    return Running(pid, url, launch if isinstance(launch, str) else url, instance)


def _token(launch_url: str) -> str | None:
    values = parse_qs(urlsplit(launch_url).query).get("kali_token")
    return values[0] if values else None


__all__ = ["INSTANCE_PATH", "InstanceLock", "Running", "answers_as", "lock_path", "process_alive"]
