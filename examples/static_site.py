"""Static content: a folder of pages, pictures, CSS and JavaScript, plus a page the app makes.

Run it from the repository's root, in a Python environment where kali is installed
(`pip install -e .`). The command is the same on Linux, macOS and Windows (in an
activated virtual environment `python` is that environment's Python everywhere):

    python examples/static_site.py

It prints its address and opens a browser. `--port 0` picks a free port, `--no-browser`
opens none; Ctrl-C stops it.

What it shows:

- `kali.staticfiles.StaticFiles` mounted at `/`: `examples/static_site/`
  is the site. `/` serves its `index.html`, `/gallery.html` that file, each with its
  type, an ETag and a 304 when the browser has it already, and Range requests;
- `hidden_prefixes=(".", "_")`: names starting with `_` are never served (as the
  original kali did), so the templates can live in the site's own `_templates/` folder
  and drafts in `_drafts/`;
- a route wins over the mount: `/files` is made by the app, from the folder, each time;
- `@app.error(404)`: a missing file gets the site's own page, in its layout.

The folders are found next to this file (`Path(__file__).parent`), not in the current
directory, so the program runs from anywhere.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import kali
from kali.staticfiles import StaticFiles

SITE = Path(__file__).resolve().parent / "static_site"
HIDDEN = (".", "_")


@dataclass(frozen=True)
class SiteFile:
    """One file the site serves: its URL and its size in bytes."""

    url: str
    size: int


def site_files(root: Path) -> list[SiteFile]:
    """Every file under `root` that the site serves, by URL (hidden names left out)."""
    found = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if path.is_file() and not any(part.startswith(HIDDEN) for part in parts):
            found.append(SiteFile("/" + "/".join(parts), path.stat().st_size))
    return found


def make_app(site: Path = SITE) -> kali.App:
    """The site in the folder `site`, with its `/files` page and its 404 page."""
    pages = kali.TemplateFolder(site / "_templates")
    app = kali.App()

    @app.get("/files")
    def files(request: kali.Request) -> kali.IoList:
        return pages("files")(files=site_files(site))

    @app.error(404)
    def not_found(request: kali.Request, error: kali.HTTPError) -> kali.IoList:
        return pages("not_found")(path=request.path)

    # Mounted last for clarity; the more specific route above wins whatever the order.
    app.mount("/", StaticFiles(site, hidden_prefixes=HIDDEN))
    return app


app = make_app()


def main() -> None:
    """Serve the site: `--port` (8080; 0 picks a free one), `--no-browser`."""
    parser = argparse.ArgumentParser(description="A static site served by kali.")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args()
    app.run(port=args.port, open_browser=not args.no_browser)


if __name__ == "__main__":
    main()
