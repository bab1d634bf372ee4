"""kali: the hello app of ``benchmarks/hello_app.py`` (an App route) over kali's own server.

Answers ``GET /hello/<account_id>/test?limit=N`` with 10 KiB of text/plain and
an ``X-Test`` header; used by ``benchmarks/bench_overhead.py``.
"""

from __future__ import annotations

import sys

from ..hello_app import kali_app
from .pages import port_from_argv

if __name__ == "__main__":
    kali_app().run(port=port_from_argv(sys.argv), open_browser=False, access_log=False)
