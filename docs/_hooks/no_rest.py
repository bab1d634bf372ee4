"""MkDocs hook: fail the strict build when a page shows reST markup that did not render.

Docstrings are Markdown (Google style sections, autorefs links such as
``[`Request`][kali.Request]``). A reST role (``:class:`...` ``), a double-backquote
literal or a ``::`` block marker left in one would appear in the rendered page as
literal text; this hook finds them in the HTML and reports each as a warning, which
``mkdocs build --strict`` turns into an error.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

log = logging.getLogger("mkdocs.plugins.kali.no_rest")

# Looked for in the text of the page, outside <code> and <pre> (code may show any syntax).
_REST = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|ref|doc):`|``|(?<=\w)::(?=\s)")
_CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def on_page_content(content: str, page: Any, **kwargs: Any) -> str:
    text = html.unescape(_TAG.sub(" ", _CODE.sub(" ", content)))
    for match in _REST.finditer(text):
        start = max(0, match.start() - 40)
        excerpt = " ".join(text[start : match.end() + 40].split())
        log.warning("%s shows unrendered reST %r: ...%s...", page.file.src_path, match[0], excerpt)
    return content
