"""The MkDocs hook that fails the strict build on reST markup a page shows unrendered."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


def hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "no_rest", ROOT / "docs" / "_hooks" / "no_rest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def warnings(html: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    page = SimpleNamespace(file=SimpleNamespace(src_path="api.md"))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert hook().on_page_content(html, page) == html  # the page is left as it is
    return [record.getMessage() for record in caplog.records]


@pytest.mark.parametrize(
    ("html", "markup"),
    [
        # What Markdown makes of a docstring's :class:`~kali.Request`.
        ("<p>Returns a :class:<code>~kali.Request</code> object.</p>", ":class:"),
        ("<p>See :meth:`App.get` for more.</p>", ":meth:"),
        ("<p>For example::</p>", "::"),
        ("<p>a stray `` here</p>", "``"),
    ],
)
def test_unrendered_rest_is_reported(
    html: str, markup: str, caplog: pytest.LogCaptureFixture
) -> None:
    [message] = warnings(html, caplog)
    assert message.startswith(f"api.md shows unrendered reST {markup!r}")


@pytest.mark.parametrize(
    "html",
    [
        '<p>Returns a <a href="#kali.Request"><code>Request</code></a>.</p>',
        "<pre><code>def f():: # :class:`x` ``y``</code></pre>",  # code shows any syntax
        "<p>The ratio is 2:1 and <code>a::b</code> is code.</p>",
        "<p>Use <code>``</code> in reST.</p>",
    ],
)
def test_rendered_markdown_is_not_reported(html: str, caplog: pytest.LogCaptureFixture) -> None:
    assert warnings(html, caplog) == []
