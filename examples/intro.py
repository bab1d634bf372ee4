"""The smallest kali program: an App with two routes, served to localhost.

Run it from the repository's root, in a Python environment where kali is installed
(`pip install -e .`). The command is the same on Linux, macOS and Windows (in an
activated virtual environment `python` is that environment's Python everywhere):

    python examples/intro.py

It prints its address and opens a browser on it. `--port 0` picks a free port and
`--no-browser` opens none; Ctrl-C stops it.

What it shows:

- `app = kali.App()` and routes registered with decorators; each handler takes the
  request and returns the page (a `str`, or the iolist a template returns);
- a query parameter declared in the signature: `name: str = "world"` is `?name=`;
- a typed path parameter: `/square/<int:n>` calls `square(request, n=12)`, and
  `/square/twelve` is a 404 without the handler being called;
- an inline template: `{name}` is HTML-escaped, so `?name=<b>` shows `<b>`;
- `app.url_for(handler, ...)` builds a route's URL, so no URL is written twice.

(`<link rel="icon" href="data:,">` says the pages have no icon, so that the browser does
not ask for `/favicon.ico`, which this app does not have.)
"""

from __future__ import annotations

import argparse

import kali

app = kali.App()

greeting = kali.Template(
    """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>Hello</title>
<h1>Hello, {name}!</h1>
<form action="{home_url}">
<label>Your name <input name="name" value="{name}"></label>
<button>Greet me</button>
</form>
<p><a href="{square_url}">What is {n} squared?</a></p>
</html>
""",
    name="greeting",
)

answer = kali.Template(
    """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>{n} squared</title>
<p>{n} squared is {square}.</p>
<p><a href="{next_url}">And {n + 1}?</a> <a href="{home_url}">Back</a></p>
</html>
""",
    name="answer",
)


@app.get("/")
def hello(request: kali.Request, name: str = "world") -> kali.IoList:
    """Greet whoever `?name=` names (the template escapes it)."""
    return greeting(
        name=name, n=12, home_url=app.url_for(hello), square_url=app.url_for(square, n=12)
    )


@app.get("/square/<int:n>")
def square(request: kali.Request, n: int) -> kali.IoList:
    """`n` arrives as an `int`: the route refuses `/square/twelve` with a 404."""
    return answer(
        n=n, square=n * n, next_url=app.url_for(square, n=n + 1), home_url=app.url_for(hello)
    )


def main() -> None:
    """Serve the app: `--port` (8080; 0 picks a free one), `--no-browser`."""
    parser = argparse.ArgumentParser(description="The smallest kali program.")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args()
    app.run(port=args.port, open_browser=not args.no_browser)


if __name__ == "__main__":
    main()
