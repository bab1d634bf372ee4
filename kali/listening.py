"""The listening socket: bind an address and port, or say in one line why not."""

from __future__ import annotations

import contextlib
import errno
import socket


class BindError(OSError):
    """The server could not listen on the address and port asked for."""


def listen(address: str, port: int) -> socket.socket:
    """A TCP socket listening on `address` and `port` (`0`: a free port).

    Raises [`BindError`][kali.listening.BindError], saying what to do, when it cannot.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        return socket.create_server((address, port), family=family, backlog=128)
    except OSError as exc:
        raise _bind_error(exc, address, port) from None


def _bind_error(exc: OSError, address: str, port: int) -> BindError:
    where = f"{address} port {port}"
    if exc.errno == errno.EADDRINUSE:
        why = (
            f"{where} is already in use (is the app already running?); choose another "
            "port (port=..., or --port on the command line), or port=0 for a free one"
        )
    elif exc.errno == errno.EACCES:
        why = f"not allowed to listen on {where}; ports below 1024 need privileges: use 8080"
    elif exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        why = f"{address!r} is not an address of this computer; use 127.0.0.1"
    else:
        why = f"cannot listen on {where}: {exc.strerror or exc}"
    return BindError(exc.errno or 0, why)


def allow_descriptors(wanted: int) -> None:
    # Raise the process's soft limit on open files toward what max_connections
    # needs, where the hard limit allows (on Linux the soft limit is often 1024).
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


__all__ = ["BindError", "allow_descriptors", "listen"]
