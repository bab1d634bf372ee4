"""Hypothesis properties: text without tags renders to itself; {x} is html.escape(str(x))."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from kali.templating import Template

# Text that cannot open a tag: no braces at all.
plain_text = st.text(st.characters(blacklist_characters="{}"))


@given(plain_text)
def test_text_without_tags_renders_to_itself(text: str) -> None:
    assert Template(text).render_str() == text


@given(st.text(st.characters(blacklist_characters="{}")), st.sampled_from(["{{", "}}"]))
def test_doubled_braces_render_as_one(text: str, brace: str) -> None:
    assert Template(text + brace + text).render_str() == text + brace[0] + text


@given(st.text())
def test_substitution_is_html_escape(value: str) -> None:
    assert Template("{x}").render_str(x=value) == html.escape(value)


@given(st.text(), st.text(st.characters(blacklist_characters="{}")))
def test_substitution_in_attribute_between_text(value: str, around: str) -> None:
    out = Template(around + '<a title="{x}">' + around).render_str(x=value)
    assert out == around + f'<a title="{html.escape(value)}">' + around


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()))
def test_substitution_of_other_values(value: object) -> None:
    expected = "" if value is None else html.escape(str(value))
    assert Template("{x}").render_str(x=value) == expected
