"""kali: a plain handler function with a dict lookup on ``request.path``.

Set ``KALI_BENCH_PROFILE=FILE`` to run the server under cProfile and write the
stats to FILE when it stops (SIGTERM makes ``serve_http`` return normally).
"""

from __future__ import annotations

import cProfile
import os
import sys

import kali
from kali import Request, Response, ResponseValue

from .pages import HTML, PAGES, port_from_argv


def handler(request: Request) -> ResponseValue:
    page = PAGES.get(request.path)
    if page is None:
        return Response.status_page(404)
    body, content_type = page
    if content_type == HTML:
        return body  # bytes are served as text/html
    return Response(body, content_type=content_type)


def main() -> None:
    port = port_from_argv(sys.argv)
    profile_path = os.environ.get("KALI_BENCH_PROFILE")
    profiler = cProfile.Profile() if profile_path else None
    if profiler is not None:
        profiler.enable()
    try:
        kali.serve_http(handler, port=port, open_browser=False, access_log=False)
    finally:
        if profiler is not None and profile_path:
            profiler.disable()
            profiler.dump_stats(profile_path)


if __name__ == "__main__":
    main()
