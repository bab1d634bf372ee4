"""The server's options, spelled once: [`ServerOptions`][kali.ServerOptions].

[`serve_http`][kali.serve_http], [`Server`][kali.Server] and
[`App.run`][kali.App.run] all take the same options — as keyword arguments
(`app.run(port=0, debug=True)`) or as one `ServerOptions` object — so every option
is reachable from each, and mypy checks the keywords.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict, cast

from .errors import ConfigurationError
from .pipeline import SECURITY_HEADERS
from .protocol import DEFAULT_LIMITS, Limits


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-connection deadlines, in seconds. None of them delays anyone else."""

    idle: float = 75.0
    """A connection with no request under way (a keep-alive or preconnect) is closed after this."""
    head: float = 30.0
    """From the first byte of a request to the end of its head: 408 beyond it."""
    progress: float = 30.0
    """Longest pause while receiving a body, or while the client reads the response."""
    body_rate: float = 16 * 1024
    """Slowest body upload accepted, in bytes a second, on average since its head: a body trickled
    more slowly gets a 408, however often its bytes arrive.
    """
    shutdown_grace: float = 5.0
    """On shutdown, how long in-flight responses may take to finish."""


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """How a server binds, limits and protects itself, and how the program around it
    behaves (a browser or a window opened, one instance, the end when the last window closes).

    Every field can be given as a keyword to `serve_http`, `Server` and `App.run`.
    `open_browser`, `window`, `window_size`, `exit_when_closed` and `app_id` are acted on
    by `serve_http` (and so `App.run`): a `Server` made directly ignores them.
    """

    address: str = "127.0.0.1"
    """The address to bind. Keep the default for a desktop app: only this computer can connect."""
    port: int = 8080
    """The port; `0` picks a free one (the URL printed at start says which)."""
    open_browser: bool = True
    """Open a browser on the URL once the server listens (only where there is a display)."""
    debug: bool = False
    """Show tracebacks in 500 pages for exceptions that reach the server. An [`App`][kali.App]
    renders its own error pages: see `App(debug=...)`.
    """
    limits: Limits = DEFAULT_LIMITS
    """Size limits of requests (see [`Limits`][kali.Limits])."""
    timeouts: Timeouts = DEFAULT_TIMEOUTS
    """Per-connection deadlines (see [`Timeouts`][kali.Timeouts])."""
    max_connections: int = 1000
    """Most connections open at once. When full, the oldest idle connection, else the slowest
    unfinished one, is closed to make room.
    """
    access_log: bool = True
    """Log one line per request (method, target, status, milliseconds) to `kali.access`."""
    allowed_hosts: tuple[str, ...] | None = None
    """Names accepted in the Host header; `None`: loopback names when bound to a loopback address,
    any name otherwise (see `docs/security.md`).
    """
    security_headers: Mapping[str, str] = field(default_factory=lambda: dict(SECURITY_HEADERS))
    """Fields added to every response that does not set them; `{}` sends none."""
    launch_token: bool | None = None
    """Serve only the browser that opened the launch URL (it carries a random token,
    exchanged for a cookie). `None`: on when bound to an address other computers can
    reach (`address="0.0.0.0"`), off on loopback."""
    window: bool = False
    """Open the app in a window of its own (a Chrome, Chromium, Edge or Brave app window,
    else the default browser) rather than a browser tab; see `docs/desktop.md`."""
    window_size: tuple[int, int] | None = (1024, 768)
    """The app window's width and height in pixels; `None` lets the browser choose."""
    exit_when_closed: bool | None = None
    """End the program (as Ctrl-C does) when no page of it has been open for 3 seconds,
    counting from the first page opened. `None`: on with `window`, off otherwise."""
    app_id: str | None = None
    """Run one instance of the program: a second launch with the same id opens a window
    on the running one and ends. A name, or the path of the app's database."""

    def __post_init__(self) -> None:
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ConfigurationError(f"the port must be an int, not {self.port!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigurationError(
                f"the port must be from 0 to 65535 (0 picks a free one), not {self.port}"
            )
        size = self.window_size
        if size is not None and not (
            isinstance(size, tuple)
            and len(size) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in size)
        ):
            raise ConfigurationError(
                f"window_size is (width, height) in pixels, e.g. (1024, 768), not {size!r}"
            )
        if self.app_id is not None and (not isinstance(self.app_id, str) or not self.app_id):
            raise ConfigurationError(f"app_id must be a non-empty string, not {self.app_id!r}")
        if self.max_connections < 1:
            raise ConfigurationError("max_connections must be at least 1")
        # Any iterable of names is accepted (ServerSettings says so), kept as a tuple.
        hosts = cast("Iterable[str] | None", self.allowed_hosts)
        if hosts is not None and not isinstance(hosts, tuple):
            if isinstance(hosts, str):
                raise ConfigurationError(
                    f"allowed_hosts is a list of names, not the string {hosts!r}: "
                    f"write allowed_hosts=[{hosts!r}]"
                )
            object.__setattr__(self, "allowed_hosts", tuple(hosts))

    def replace(self, **changes: object) -> ServerOptions:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


class ServerSettings(TypedDict, total=False):
    """The fields of [`ServerOptions`][kali.ServerOptions] as keyword arguments
    (for `**options: Unpack[ServerSettings]`). A test checks the two agree."""

    address: str
    port: int
    open_browser: bool
    debug: bool
    limits: Limits
    timeouts: Timeouts
    max_connections: int
    access_log: bool
    allowed_hosts: Iterable[str] | None
    security_headers: Mapping[str, str]
    launch_token: bool | None
    window: bool
    window_size: tuple[int, int] | None
    exit_when_closed: bool | None
    app_id: str | None


def make_options(options: ServerOptions | None, settings: ServerSettings) -> ServerOptions:
    """`options` (or the defaults) with the keyword `settings` applied."""
    if options is None:
        return ServerOptions(**settings)  # type: ignore[arg-type]
    return options.replace(**settings) if settings else options


__all__ = ["DEFAULT_TIMEOUTS", "ServerOptions", "ServerSettings", "Timeouts", "make_options"]
