"""waitress with one worker thread (keep-alive supported).

Its "Task queue depth is N" warning, logged on nearly every request once
more than one connection is busy, is silenced so that the log I/O is not
counted as serving cost.
"""

from __future__ import annotations

import logging
import sys

import waitress

from .pages import port_from_argv
from .wsgi_app import app

if __name__ == "__main__":
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(app, host="127.0.0.1", port=port_from_argv(sys.argv), threads=1, _quiet=True)
