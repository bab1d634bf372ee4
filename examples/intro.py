"""The smallest kali program: one handler, served to localhost.

Run it with ``python examples/intro.py`` and a browser opens on the page.
"""

from __future__ import annotations

from html import escape

import kali


def hello(request: kali.Request) -> kali.ResponseValue:
    """Greet whoever ``?name=`` names. The iolist is sent as it is, never joined."""
    name = request.query.get("name", "world")
    return ["<!doctype html><title>Hello</title><h1>Hello, ", escape(name), "!</h1>"]


if __name__ == "__main__":
    kali.serve_http(hello)
