"""Misuse that mypy --strict must reject: each "# E:" gives the expected message.

The kali plugin is enabled (pyproject.toml), so a handler without the request is
reported in the runtime's words, and mypy's own message names the decorator."""

from __future__ import annotations

from kali import Request
from kali.app import App
from kali.resource import Resource

app = App()


@app.get("/count")  # E: Value of type variable "HandlerT" of "get" of "kali.App" cannot be
def count(request: Request) -> int:
    return 3


@app.get("/none")  # E: the handler does not take the request as its first argument
def no_request() -> str:
    return ""


@app.post("/wrong")  # E: but the first one is 'request', declared int
def wrong_first(request: int) -> str:
    return ""


app.add_route("/lambda", lambda: "x")  # E: does not take the request as its first argument


class Task(Resource):
    def get(self) -> str:  # E: Signature of "get" incompatible with supertype
        return ""

    def post(self, request: Request, id: int) -> int:  # E: Signature of "post" incompatible
        return id

    # Actions are not declared by Resource, so mypy cannot check them (docs/routing.md says
    # so); kali checks them at registration. No error expected here.
    def get_edit(self) -> int:
        return 0


app.url_for(42)  # E: Argument 1 to "url_for" of "App" has incompatible type "int"
app.url_for(Task)  # E: Argument 1 to "url_for" of "App" has incompatible type "type[Task]"


@app.resource("/plain")
class NotAResource:  # E: Value of type variable "ResourceT" of "resource" of "kali.App"
    def get(self, request: Request) -> str:
        return ""
