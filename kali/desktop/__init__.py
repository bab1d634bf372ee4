"""Making a served app behave like a desktop program (see `docs/desktop.md`).

The options of [`ServerOptions`][kali.ServerOptions] that turn it on, all read by
[`serve_http`][kali.serve_http] and [`App.run`][kali.App.run]:

- `window=True`: the app opens in a window of its own, a Chromium-family browser in
  app mode ([`kali.desktop.window`][kali.desktop.window]);
- `app_id="..."`: one instance; a second launch shows the running one and ends
  ([`kali.desktop.instance`][kali.desktop.instance]);
- `exit_when_closed` (on with `window=True`): the program ends when its last
  window closes ([`kali.desktop.lifeline`][kali.desktop.lifeline]).

`kali run module:app --reload` restarts the program when its code changes
([`kali.desktop.reload`][kali.desktop.reload]); [`kali.desktop.lifecycle`][kali.desktop.lifecycle]
puts the parts together.
"""

from .instance import InstanceLock as InstanceLock
from .lifeline import Lifeline as Lifeline
from .paths import runtime_dir as runtime_dir
from .paths import user_data_dir as user_data_dir
from .window import find_browser as find_browser
from .window import has_display as has_display

__all__ = [
    "InstanceLock",
    "Lifeline",
    "find_browser",
    "has_display",
    "runtime_dir",
    "user_data_dir",
]
