"""The lifeline: how the server knows for certain whether a window is still open.

Each HTML page kali serves gets one tag, `<script src="/_kali/lifeline.js" async>`.
The script holds one idle connection to the server, an event stream at
`/_kali/lifeline`: it costs nothing while it waits, and the server sees it close
when the last page goes away. A refresh or a navigation closes one page's
connection and opens the next page's within milliseconds; a minimised window, a
background tab or a sleeping computer keep theirs open (nothing in the page has to
run on a timer, which browsers slow down or stop).

All the pages of one browser share one connection where the browser has
`SharedWorker` (Chrome, Edge, Firefox, Safari 16+): a worker at
`/_kali/lifeline-worker.js` holds it for them, so ten windows cost one connection
of the six a browser opens to a server. Elsewhere each page holds its own.

The first event on the stream is the server's instance id, a random string made
when the process starts. The tag carries the id of the server that rendered the
page; when a page's lifeline reconnects to a server with another id (the program
was restarted by `kali run --reload`, say), the page reloads itself.

[`Lifeline`][kali.desktop.lifeline.Lifeline] wraps a handler: it answers under
`/_kali/`, adds the tag to HTML responses, counts the open lifelines and calls
`on_last_closed` when none has been open for `grace` seconds. A streamed HTML
page counts as an open lifeline while it streams (its own script runs only once
it is complete). Counting starts with the first lifeline: a server nobody has
opened a page on yet is never ended by it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Final

from ..live import EventStream, Stream, Subscription
from ..pipeline import fallback_page, to_response
from ..request import Request
from ..response import FileBody, Response
from ..scheduler import Scheduler, Timer
from ..typing import Handler, IoItem
from .instance import INSTANCE_PATH

PREFIX: Final = "/_kali/"
"""Paths kali answers itself when a desktop option is on (the app's own routes there are hidden)."""
LIFELINE_PATH: Final = "/_kali/lifeline"
SCRIPT_PATH: Final = "/_kali/lifeline.js"
WORKER_PATH: Final = "/_kali/lifeline-worker.js"
GRACE: Final = 3.0
"""Seconds with no lifeline open before the program ends."""

_SEARCH: Final = 16 * 1024
"""Only this much of the end of a body is searched for `</body>`; past it the tag is appended."""
_FILE_LIMIT: Final = 1024 * 1024
"""HTML files (a `FileBody`) up to this size get the tag; larger ones are sent as they are."""
_BODY_END: Final = re.compile("</body", re.IGNORECASE)
_BODY_END_BYTES: Final = re.compile(b"</body", re.IGNORECASE)

PAGE_SCRIPT: Final = """\
// kali's lifeline: keeps the program running while a window shows one of its pages,
// and reloads the page when the program restarts (see kali.desktop.lifeline).
(function () {
  "use strict";
  var script = document.currentScript;
  var rendered = (script && script.getAttribute("data-instance")) || null;
  function direct() {
    var source = null;
    function connect() {
      source = new EventSource("/_kali/lifeline");
      source.addEventListener("kali-instance", function (event) {
        if (rendered !== null && event.data !== rendered) location.reload();
      });
      source.onerror = function () {
        if (source.readyState === 2) setTimeout(connect, 1000);
      };
    }
    connect();
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && source.readyState === 2) connect();
    });
  }
  function join() {
    var worker;
    try {
      worker = new SharedWorker("/_kali/lifeline-worker.js", { name: "kali-lifeline" });
    } catch (error) {
      direct();
      return;
    }
    worker.onerror = function () { direct(); };
    worker.port.onmessage = function (event) {
      if (event.data === "reload") location.reload();
      else if (event.data === "unsupported") direct();
    };
    worker.port.postMessage({ instance: rendered });
  }
  if (typeof SharedWorker === "undefined") {
    direct();
    return;
  }
  join();
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) join(); // back from the back-forward cache: its worker may be gone
  });
})();
"""

WORKER_SCRIPT: Final = """\
// kali's lifeline, shared by every page of the program in this browser: one connection.
"use strict";
var pages = [];
var current = null;
var source = null;
function check(page) {
  if (current !== null && page.instance !== null && page.instance !== current) {
    page.instance = current;
    page.port.postMessage("reload");
  }
}
function connect() {
  source = new EventSource("/_kali/lifeline");
  source.addEventListener("kali-instance", function (event) {
    current = event.data;
    pages.forEach(check);
  });
  source.onerror = function () {
    if (source.readyState === 2) setTimeout(connect, 1000);
  };
}
self.onconnect = function (event) {
  var port = event.ports[0];
  if (typeof EventSource === "undefined") {
    port.postMessage("unsupported");
    return;
  }
  var page = { port: port, instance: null };
  pages.push(page);
  port.addEventListener("close", function () {
    pages = pages.filter(function (other) { return other !== page; });
  });
  port.onmessage = function (message) {
    page.instance = (message.data && message.data.instance) || null;
    check(page);
  };
  if (source === null) connect();
};
"""


class Lifeline:
    """A handler around `handler` that keeps count of the open pages.

    Args:
        handler: the app (or any handler) to serve.
        app_id: told at `/_kali/instance`, with the instance id and the count.
        inject: add the lifeline tag to HTML responses. Without it, only
            `/_kali/instance` and the lifeline endpoints are answered.
        grace: seconds with no lifeline open before `on_last_closed` is called.
        debug: show tracebacks in 500 pages made here (for a handler that is not
            an `App`, whose exceptions this wrapper catches to add the tag to the page).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        app_id: str | None = None,
        inject: bool = True,
        grace: float = GRACE,
        debug: bool = False,
    ) -> None:
        self.handler = handler
        self.app_id = app_id
        self.inject = inject
        self.grace = grace
        self.debug = debug
        self.instance = secrets.token_hex(8)
        """This process's server instance: pages reload when it changes."""
        found = getattr(handler, "scheduler", None)
        self.scheduler: Scheduler = found if isinstance(found, Scheduler) else Scheduler()
        """The handler's timers (an App's own), so the server runs them and ours."""
        self.on_last_closed: Callable[[], object] | None = None
        """Called (on the serving thread) once no lifeline has been open for `grace` seconds, after
        at least one was; `None`: nothing is called.
        """
        self._channel = EventStream(backlog=0, keepalive=15.0, retry=1000)
        self._hello = f"event: kali-instance\ndata: {self.instance}\n\n".encode()
        self._tag = f'<script src="{SCRIPT_PATH}" data-instance="{self.instance}" async></script>'
        self._open = 0
        self._armed = False
        self._timer: Timer | None = None

    @property
    def open(self) -> int:
        """How many lifelines are open (streamed HTML pages under way included)."""
        return self._open

    @property
    def tag(self) -> str:
        """The `<script>` tag added to HTML pages."""
        return self._tag

    def arm(self) -> None:
        """Count from now even if no lifeline has opened yet (the window's browser
        process exited, say): with none open, `on_last_closed` follows the grace."""
        self._armed = True
        if self._open == 0 and self._timer is None:
            self._schedule()

    def __call__(self, request: Request) -> Response:
        if request.path.startswith(PREFIX):
            own = self._answer(request)
            if own is not None:
                return own
        try:
            response = to_response(self.handler(request))
        except Exception as exc:
            response = fallback_page(request, exc, self.debug)
        if self.inject and _is_page(response):
            self._add_tag(response)
        return response

    # -- the endpoints -----------------------------------------------------------

    def _answer(self, request: Request) -> Response | None:
        path = request.path
        if path == LIFELINE_PATH:
            response: Response = self._channel.subscribe(request)
            subscription = response.body
            assert isinstance(subscription, Subscription)
            subscription.push(self._hello)  # the first event: who is serving
            self._opened()
            subscription.on_close(self._closed)
            return response
        if path == SCRIPT_PATH:
            return _script(PAGE_SCRIPT)
        if path == WORKER_PATH:
            return _script(WORKER_SCRIPT)
        if path == INSTANCE_PATH:
            response = Response.json(
                {
                    "app_id": self.app_id,
                    "instance": self.instance,
                    "pid": os.getpid(),
                    "lifelines": self._open,
                }
            )
            response.headers.add("Cache-Control", "no-store")
            return response
        return None

    # -- counting --------------------------------------------------------------

    def _opened(self) -> None:
        self._open += 1
        self._armed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _closed(self) -> None:
        self._open -= 1
        if self._open == 0 and self._armed:
            self._schedule()

    def _schedule(self) -> None:
        # One timer for the latest moment none was open: an opening cancels it.
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.scheduler.call_later(self.grace, self._check)

    def _check(self) -> None:
        self._timer = None
        if self._open > 0:
            return
        if self.on_last_closed is not None:
            self.on_last_closed()

    # -- the tag -----------------------------------------------------------------

    def _add_tag(self, response: Response) -> None:
        body = response.body
        if isinstance(body, Stream):
            # The page's own lifeline opens once it is complete: until then the
            # stream counts as one.
            self._opened()
            if type(body) is Stream:
                outer = Stream(self._tagged_steps(body))
                outer.on_close(body.close)
                response.body = body = outer
            body.on_close(self._closed)
            return
        if isinstance(body, FileBody):
            if body.length > _FILE_LIMIT:
                return
            try:
                body.file.seek(body.offset)
                data = body.file.read(body.length)
            finally:
                body.file.close()
            response.body = insert_tag(data, self._tag)
            return
        if not isinstance(body, Iterator):
            response.body = insert_tag(body, self._tag)

    def _tagged_steps(self, stream: Stream) -> Iterator[IoItem]:
        tagged = False
        while (pieces := stream.step()) is not None:
            if not tagged:
                found = _insert_in_pieces(pieces, self._tag)
                if found is not None:
                    tagged = True
                    pieces = found
            yield pieces
        if not tagged:
            yield self._tag

    def __repr__(self) -> str:
        return f"<Lifeline {self._open} open around {self.handler!r}>"


def insert_tag(body: IoItem, tag: str) -> IoItem:
    """`body` with `tag` before its last `</body>`, or at its end without one.

    Only the end of the body is searched (a page's `</body>` is in its last
    pieces); the iolist is not copied, only the lists on the way to the piece
    that holds `</body>`, so a template's constant lists stay as they are. A tag
    after `</html>` still runs: browsers move it into the body.
    """
    found = _insert(body, tag, [_SEARCH])
    return [body, tag] if found is None else found


def _insert(item: object, tag: str, budget: list[int]) -> IoItem | None:
    if isinstance(item, str):
        start = max(0, len(item) - budget[0])
        matches = list(_BODY_END.finditer(item, start))
        budget[0] -= len(item)
        if not matches:
            return None
        at = matches[-1].start()
        return [item[:at], tag, item[at:]]
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
        start = max(0, len(data) - budget[0])
        found = list(_BODY_END_BYTES.finditer(data, start))
        budget[0] -= len(data)
        if not found:
            return None
        at = found[-1].start()
        return [data[:at], tag, data[at:]]
    if isinstance(item, (list, tuple)):
        for index in range(len(item) - 1, -1, -1):
            if budget[0] <= 0:
                return None
            inner = _insert(item[index], tag, budget)
            if inner is not None:
                copy = list(item)
                copy[index] = inner
                return copy
        return None
    return None  # not an iolist leaf: framing reports it


def _insert_in_pieces(pieces: list[bytes], tag: str) -> list[bytes] | None:
    for index in range(len(pieces) - 1, -1, -1):
        piece = pieces[index]
        found = list(_BODY_END_BYTES.finditer(piece))
        if found:
            at = found[-1].start()
            return [*pieces[:index], piece[:at], tag.encode(), piece[at:], *pieces[index + 1 :]]
    return None


def _is_page(response: Response) -> bool:
    # An HTML page to add the tag to: not a redirect, not an empty or encoded
    # body, not the last page of a server that is stopping.
    status = response.status
    if response.shut_down or status < 200 or status in (204, 304) or 300 <= status < 400:
        return False
    kind = None
    encoded = False
    for name, value in response.headers:
        lower = name.lower()
        if lower == "content-type":
            kind = value
        elif lower == "content-encoding" and value.lower() != "identity":
            encoded = True
    if encoded:
        return False
    if kind is None:
        body = response.body
        return not (body == b"" or body == "" or body == [])  # served as text/html
    return kind.lower().startswith("text/html")


def _script(text: str) -> Response:
    response = Response(text, content_type="text/javascript; charset=utf-8")
    response.headers.add("Cache-Control", "no-cache")
    return response


__all__ = [
    "GRACE",
    "LIFELINE_PATH",
    "PAGE_SCRIPT",
    "PREFIX",
    "SCRIPT_PATH",
    "WORKER_PATH",
    "WORKER_SCRIPT",
    "Lifeline",
    "insert_tag",
]
