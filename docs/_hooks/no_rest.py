"""MkDocs hook: fail the strict build when a page shows reST markup that did not render.

Docstrings are Markdown (Google style sections, autorefs links such as
``[`Request`][kali.Request]``). A reST role (``:class:`...` ``), a stray double
backquote or a ``::`` block marker left in one would appear in the rendered page as
literal text; this hook finds them in the HTML and reports each as a warning, which
``mkdocs build --strict`` turns into an error (not with ``--quiet``, which hides the
warnings from the count). ``tests/test_docs_hooks.py`` tests it.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

log = logging.getLogger("mkdocs.plugins.kali.no_rest")

# A role shows in the page as ":class:" before the code Markdown made of its target.
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|ref|doc):(?=`|<code\b)")
# Looked for in the text of the page, outside <code> and <pre> (code may show any syntax).
_MARKER = re.compile(r"``|(?<=\w)::(?=\s)")
_PRE = re.compile(r"<pre\b.*?</pre>", re.S)
_CODE = re.compile(r"<code\b.*?</code>", re.S)
_TAG = re.compile(r"<[^>]+>")


def on_page_content(content: str, page: Any, **kwargs: Any) -> str:
    prose = _PRE.sub(" ", content)
    text = html.unescape(_TAG.sub(" ", _CODE.sub(" ", prose)))
    found = [(m.start(), m[0], prose) for m in _ROLE.finditer(prose)]
    found += [(m.start(), m[0], text) for m in _MARKER.finditer(text)]
    for start, markup, where in found:
        near = html.unescape(_TAG.sub("", where[max(0, start - 40) : start + 80]))
        excerpt = " ".join(near.split())
        log.warning("%s shows unrendered reST %r: ...%s...", page.file.src_path, markup, excerpt)
    return content
