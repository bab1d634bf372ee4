"""Flash messages: a line of news ("Saved.") shown once, on the page after a redirect.

```python
import kali
from kali import flash_messages

app = kali.App()
app.use(flash_messages.middleware)


@app.post("/task")
def add(request: kali.Request) -> kali.Response:
    ...  # save the task
    kali.flash(request, "Task added.")
    return kali.Response.redirect("/", 303)


@app.get("/")
def index(request: kali.Request) -> kali.ResponseValue:
    return page(messages=flash_messages.messages(request))  # read once, then gone
```

The messages travel in a cookie, `kali_flash`, signed with the per-launch key of
[`kali.secret`][kali.secret]: the browser holds them between the redirect and the next
page, and an altered cookie, or one from an earlier launch of the app, is ignored. A
cookie rather than a store in the server's memory because it needs nothing to expire or
bound: messages nobody reads cost the server nothing, and they vanish with the browser
session or the next launch. The price is size: a cookie holds about 4 KB, so when the
messages waiting do not fit, the oldest are dropped (and a message too long on its own is
cut), with a warning in the log. The cookie is `HttpOnly; SameSite=Lax` and has no
expiry date.

The [`middleware`][kali.flash_messages.middleware] writes the cookie, only on a response
whose request flashed or read messages; other requests (images, scripts, a page that
shows no messages) leave it alone, so the messages wait for a page that shows them. A
request that fails (the handler raised, or [`kali.sqlite.guard`][kali.sqlite.guard]
rolled its change back) changes nothing: "Saved." is never shown for a change that was
not saved, and messages read by a page that then failed are shown again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from . import secret
from .pipeline import to_response
from .request import Request
from .response import Response
from .templating.markup import Rendered, escape
from .typing import Handler, ResponseValue

__all__ = ["COOKIE", "MAX_COOKIE_SIZE", "Message", "flash", "messages", "middleware", "render"]

log = logging.getLogger("kali.flash")

COOKIE: Final = "kali_flash"
"""The cookie's name."""
MAX_COOKIE_SIZE: Final = 4000
"""The most the cookie's `name=value` may take, in bytes: under the 4096 that browsers keep for one
cookie.
"""

_PURPOSE = "kali.flash"
_STATE = "kali.flash"


@dataclass(frozen=True, slots=True)
class Message:
    """One flash message: its text and its category.

    `str(message)` is the text, so `{m}` in a template shows it (escaped, as any text).
    """

    text: str
    """The text, shown escaped."""
    category: str = "info"
    """What kind of news it is, for styling: `"info"`, `"success"`, `"warning"`, `"error"`, or any
    word the app's stylesheet knows.
    """

    def __str__(self) -> str:
        return self.text


class _Flashes:
    """The messages of one request: read from its cookie on first use."""

    __slots__ = ("changed", "queue", "request", "shown")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.queue: list[Message] | None = None
        self.changed = False
        self.shown = False  # messages were read for this page

    def load(self) -> list[Message]:
        queue = self.queue
        if queue is None:
            raw = self.request.cookies.get(COOKIE)
            queue = self.queue = [] if raw is None else _decode(raw)
            if raw is not None and not queue:
                self.changed = True  # altered or stale: clear it
        return queue

    def apply(self, response: Response) -> None:
        queue = self.queue
        if queue:
            response.set_cookie(COOKIE, _encode(queue))
        elif COOKIE in self.request.cookies:
            response.set_cookie(COOKIE, "", max_age=0)
        if self.shown and response.headers.get("Cache-Control") is None:
            # A page with one-time messages is not kept: Back and Forward then ask
            # for the page again rather than show the messages a second time.
            response.headers.add("Cache-Control", "no-store")


def _box(request: Request) -> _Flashes:
    box = request.state.get(_STATE)
    if not isinstance(box, _Flashes):
        raise RuntimeError(
            "flash messages need the flash middleware: add "
            "app.use(kali.flash_messages.middleware) where the app is set up"
        )
    return box


def flash(request: Request, text: str, category: str = "info") -> None:
    """Queue a message for the next page that shows messages (usually the one after a
    redirect); reachable as `kali.flash`.

        kali.flash(request, "Saved.")
        kali.flash(request, "The file was too large.", "error")

    Args:
        request: the request being answered.
        text: the message, plain text (it is escaped when shown).
        category: its kind, for styling; see [`Message`][kali.flash_messages.Message].

    Raises:
        RuntimeError: the app does not use [`middleware`][kali.flash_messages.middleware].
        TypeError: `text` or `category` is not a `str`.
    """
    if not isinstance(text, str) or not isinstance(category, str):
        raise TypeError(
            f"kali.flash() takes the text and category as str, not "
            f"{type(text).__name__} and {type(category).__name__}"
        )
    box = _box(request)
    box.load().append(Message(str(text), str(category)))
    box.changed = True


def messages(request: Request) -> list[Message]:
    """The messages waiting for this page, oldest first; they are cleared as they are read.

    They are those the cookie brought (flashed before a redirect) and those flashed
    earlier in this request. The response then clears the cookie, so a reload does not
    show them again; a second call in the same request returns `[]`.

    Args:
        request: the request being answered.

    Returns:
        The [`Message`][kali.flash_messages.Message] list, often empty.

    Raises:
        RuntimeError: the app does not use [`middleware`][kali.flash_messages.middleware].
    """
    box = _box(request)
    queue = box.load()
    found = list(queue)
    if queue:
        queue.clear()
        box.changed = True
        box.shown = True
    return found


def middleware(handler: Handler) -> Handler:
    """The middleware that carries flash messages: `app.use(kali.flash_messages.middleware)`.

    It sets (or clears) the flash cookie on the response of a request that called
    [`flash`][kali.flash_messages.flash] or [`messages`][kali.flash_messages.messages],
    turning the handler's value into a [`Response`][kali.Response] for that; a page that
    showed messages gets `Cache-Control: no-store` (unless it set its own), so the
    browser's Back and Forward do not show them again. The response of any other request
    is passed on untouched. An exception passes through
    and the cookie stays as it was.
    """

    def with_flash(request: Request) -> ResponseValue:
        box = _Flashes(request)
        request.state[_STATE] = box
        value = handler(request)
        if not box.changed:
            return value
        response = to_response(value)
        box.apply(response)
        return response

    return with_flash


def render(items: Iterable[Message]) -> Rendered:
    """The messages as HTML: a `<ul class="flash-messages" role="status">` with one
    `<li class="flash flash-<category>">` each, or nothing for no messages.

    The result is an iolist, and safe markup for templates: `{.flashes}` or `{flashes}`
    inserts it as it is.

        flash_messages.render(flash_messages.messages(request))

    Args:
        items: the messages, as [`messages`][kali.flash_messages.messages] returns them.

    Returns:
        The HTML, as a `Rendered` iolist (a list that templates insert without escaping).
    """
    lines = [
        f'<li class="flash flash-{escape(item.category)}">{escape(item.text)}</li>\n'
        for item in items
    ]
    if not lines:
        return Rendered()
    return Rendered(['<ul class="flash-messages" role="status">\n', *lines, "</ul>\n"])


# -- the cookie's value ------------------------------------------------------------


def _decode(raw: str) -> list[Message]:
    value = secret.unsign(raw, purpose=_PURPOSE)
    if value is None:
        return []
    try:
        data = json.loads(value)
    except ValueError:  # cannot happen for a cookie this process signed
        return []
    if not isinstance(data, list):
        return []
    found = []
    for item in data:
        if isinstance(item, list) and len(item) == 2:
            category, text = item
            if isinstance(category, str) and isinstance(text, str):
                found.append(Message(text, category))
    return found


def _signed(queue: list[Message]) -> str:
    data = [[item.category, item.text] for item in queue]
    return secret.sign(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")), purpose=_PURPOSE
    )


def _encode(queue: list[Message]) -> str:
    """The signed cookie value; drops the oldest messages, then cuts the last one's
    text, until `name=value` fits in `MAX_COOKIE_SIZE`."""
    limit = MAX_COOKIE_SIZE - len(COOKIE) - 1
    value = _signed(queue)
    if len(value) <= limit:
        return value
    low, high = 1, len(queue) - 1  # how many of the newest fit: low or fewer, not high+1
    value = _signed(queue[-1:])
    if len(value) <= limit:
        while low < high:
            middle = (low + high + 1) // 2
            fits = _signed(queue[-middle:])
            if len(fits) <= limit:
                low, value = middle, fits
            else:
                high = middle - 1
    kept = queue[-low:]
    dropped = len(queue) - len(kept)
    if dropped:
        log.warning("flash messages: %d older message(s) dropped to fit the cookie", dropped)
    if len(value) > limit:
        last = kept[0]
        value = _signed([Message("…", last.category)])
        if len(value) > limit:  # the category alone is too long
            value = _signed([Message("…")])
        low, high = 0, len(last.text)  # the longest prefix that fits: low fits, high+1 does not
        while low < high:
            middle = (low + high + 1) // 2
            cut = _signed([Message(last.text[:middle] + "…", last.category)])
            if len(cut) <= limit:
                low, value = middle, cut
            else:
                high = middle - 1
        log.warning(
            "flash messages: a message of %d characters was cut to %d to fit the cookie",
            len(last.text),
            low,
        )
    return value
