"""gunicorn, one sync worker (which closes every connection after its response).

The module replaces itself with the gunicorn master (same PID), so the
driver's CPU accounting covers the master plus its worker.
"""

from __future__ import annotations

import os
import sys

from .pages import port_from_argv


def command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers=1",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "benchmarks.servers.wsgi_app:app",
    ]


if __name__ == "__main__":
    args = command(port_from_argv(sys.argv))
    os.execv(args[0], args)
