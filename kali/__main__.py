"""``python -m kali``: see :mod:`kali.cli`."""

from .cli import main

raise SystemExit(main())
