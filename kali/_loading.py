"""What `kali run` is loading, so that a server started meanwhile is refused.

`kali run hello:app` imports `hello` and serves `hello.app` with its own `--port`.
A module that calls `app.run()` (or `serve_http`) at import, without
`if __name__ == "__main__":`, would instead start its own server there, on
its own port, and `kali run` would start a second one after it stopped. The
command line marks the import (and the call of a factory) with `loading`;
`serve_http` calls `refuse_to_serve_while_loading` first, which stops the
program with one line naming the call to guard.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import sys
import traceback
from collections.abc import Iterator

# The module being loaded and what is being done with it ("importing it"), while
# `kali run` loads its target; empty otherwise.
_loading: list[tuple[str, str]] = []


@contextlib.contextmanager
def loading(module_name: str, doing: str) -> Iterator[None]:
    """While inside, starting a server stops the program (see the module docstring).

    Args:
        module_name: the module `kali run` loads its target from.
        doing: what the command line is doing, for the message (`"importing it"`).
    """
    _loading.append((module_name, doing))
    try:
        yield
    finally:
        _loading.pop()


def refuse_to_serve_while_loading() -> None:
    """Stop the program if `kali run` is loading its target: the server it would start
    is not the one asked for.

    Raises:
        SystemExit: with one line naming the module, the line that serves, and the fix.
    """
    if not _loading:
        return
    module_name, doing = _loading[-1]
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    call = ""
    if filename is not None:
        target = os.path.abspath(filename)
        for frame in reversed(traceback.extract_stack()):
            if os.path.abspath(frame.filename) == target and frame.lineno is not None:
                line = linecache.getline(frame.filename, frame.lineno).strip()
                call = f" at {os.path.basename(frame.filename)}:{frame.lineno}: {line}"
                break
    raise SystemExit(
        f"kali: module {module_name!r} started a server while `kali run` was {doing}{call}; "
        f'put that call under `if __name__ == "__main__":` and `kali run` serves the app itself'
    )
