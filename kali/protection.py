"""Protecting a localhost app from hostile web pages.

A page on any web site can make the browser send requests to
`http://127.0.0.1:8080`. Two checks, applied by the server before a
handler runs, stop what such a page could do:

* **DNS rebinding.** A hostile page can make its own domain resolve to
  127.0.0.1 and then *read* the app's responses as same-origin. Its requests
  still carry the hostile name in `Host`, so a server bound to a loopback
  address answers only loopback names (`localhost`, `*.localhost`,
  `127.0.0.1`, `[::1]`): anything else gets 403. (Jupyter does the same.)
* **Cross-site requests that change things** (CSRF). A hostile page can
  submit a form to the app without reading the answer. For methods other than
  GET, HEAD and OPTIONS, kali refuses a request the browser marks as coming
  from another site (`Sec-Fetch-Site`) or whose `Origin` is not the app's
  own. Clients that are not browsers send neither header and are not affected.

So keep state changes behind POST (or PUT, PATCH, DELETE), as HTML forms do.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that must not change state, and so are not checked for cross-site use."""
_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(address: str) -> bool:
    """Whether `address` (an IP address or `localhost`) is a loopback address."""
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host: str) -> str:
    """The name part of a Host header value, lower-cased, without port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rpartition(":")[0] if ":" in host else host


class Guard:
    """The two checks, configured once per server.

    `allowed_hosts` lists the names accepted in `Host` (`"*"` accepts
    any). `None` means: loopback names only when the server is bound to a
    loopback address, any name otherwise (a server deliberately exposed on a
    network has to be reachable by its names).
    """

    __slots__ = ("_any_host", "_hosts", "_localhost_names", "accepted")

    def __init__(self, bound_address: str, allowed_hosts: Iterable[str] | None = None) -> None:
        self._localhost_names = allowed_hosts is None  # *.localhost is loopback too
        if allowed_hosts is None:
            self._any_host = not is_loopback(bound_address)
            self._hosts: frozenset[str] = _LOOPBACK_NAMES | {bound_address.lower()}
        else:
            names = {host_name(h) if h != "*" else "*" for h in allowed_hosts}
            self._any_host = "*" in names
            self._hosts = frozenset(names)
        self.accepted: set[str] = set()
        """Host values already accepted, exactly as sent (a few; looked up first)."""

    def allow(self, name: str) -> None:
        """Accept `name` (a host name or address, without port) in Host from now on."""
        self._hosts = self._hosts | {name.strip("[]").lower()}

    def host_allowed(self, host: str) -> bool:
        """Whether a request with this Host header value may be served."""
        if self._any_host or host in self.accepted:
            return True
        name = host_name(host)
        if name in self._hosts or (self._localhost_names and name.endswith(".localhost")):
            if len(self.accepted) < 64:
                self.accepted.add(host)
            return True
        return False

    def refuse(
        self,
        method: str,
        host: str | None,
        origin: str | None = None,
        fetch_site: str | None = None,
    ) -> str | None:
        """Why a request must be refused with 403, or `None` to serve it.

        `host`, `origin` and `fetch_site` are the values of the Host, Origin and
        Sec-Fetch-Site headers (`None` when absent). Only requests with unsafe
        methods look at the last two.
        """
        if host is not None and host not in self.accepted and not self.host_allowed(host):
            return f"Host {host!r} is not served here (DNS rebinding protection)"
        if method in SAFE_METHODS:
            return None
        if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
            return f"A {method} request from another site ({fetch_site}) is refused"
        if origin is not None and host is not None:
            origin = origin.strip().lower()
            if origin not in (f"http://{host.lower()}", f"https://{host.lower()}"):
                return f"A {method} request from origin {origin!r} is refused"
        return None


__all__ = ["SAFE_METHODS", "Guard", "host_name", "is_loopback"]
