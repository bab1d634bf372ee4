"""`python -m kali`: see `kali.cli`."""

from .cli import main

raise SystemExit(main())
