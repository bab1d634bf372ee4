"""The smallest kali program: an App with two routes, served to localhost.

Run it with ``python examples/intro.py`` and a browser opens on the page.
"""

from __future__ import annotations

import kali

app = kali.App()
greeting = kali.Template(
    "<!doctype html><title>Hello</title>\n"
    "<h1>Hello, {name}!</h1>\n"
    '<p><a href="{square_url}">What is {n} squared?</a></p>\n',
    name="greeting",
)


@app.get("/")
def hello(request: kali.Request, name: str = "world") -> kali.IoList:
    """Greet whoever ``?name=`` names; the template escapes it."""
    return greeting(name=name, n=12, square_url=app.url_for(square, n=12))


@app.get("/square/<int:n>")
def square(request: kali.Request, n: int) -> str:
    """A typed path parameter: ``/square/12`` calls ``square(request, n=12)``."""
    return f"<p>{n} squared is {n * n}.</p>"


if __name__ == "__main__":
    app.run()
