"""The lexer: tag detection, literal braces, positions and whitespace control."""

from __future__ import annotations

from kali.templating.lexer import tokenize


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.value) for t in tokenize(text)]


def test_tags_and_text() -> None:
    assert kinds("a {x} b {.y} {#c#}{for i in xs}{end}") == [
        ("text", "a "),
        ("tag", "x"),
        ("text", " b "),
        ("tag", ".y"),
        ("text", " "),
        ("comment", "c"),
        ("block", "for i in xs"),
        ("block", "end"),
    ]


def test_literal_braces_merge_into_text() -> None:
    assert kinds("a {{b}} { c }") == [("text", "a {b} { c }")]


def test_brackets_and_strings_inside_tags() -> None:
    assert kinds("{d['}']}{f({'a': 1})}") == [("tag", "d['}']"), ("tag", "f({'a': 1})")]


def test_colon_position() -> None:
    token = tokenize("{x[1:2]:num}")[0]
    assert token.value[token.colon] == ":"
    assert token.value[token.colon + 1 :] == "num"
    assert tokenize("{d[':']}")[0].colon == -1


def test_positions() -> None:
    tokens = tokenize("ab\ncd {x}\n  {y}")
    tags = [(t.value, t.line, t.col) for t in tokens if t.kind == "tag"]
    assert tags == [("x", 2, 4), ("y", 3, 3)]


def test_block_keywords_need_a_space_or_stand_alone() -> None:
    assert kinds("{block}{block.x}{end}{endx}{else}{include_x}") == [
        ("tag", "block"),
        ("tag", "block.x"),
        ("block", "end"),
        ("tag", "endx"),
        ("block", "else"),
        ("tag", "include_x"),
    ]


def test_standalone_block_line_is_removed() -> None:
    assert kinds("a\n  {if x}  \nb") == [("text", "a\n"), ("block", "if x"), ("text", "b")]


def test_standalone_comment_line_is_removed() -> None:
    assert kinds("a\n{# note #}\nb") == [("text", "a\n"), ("comment", " note "), ("text", "b")]


def test_output_tags_are_never_standalone() -> None:
    assert kinds("a\n{x}\nb") == [("text", "a\n"), ("tag", "x"), ("text", "\nb")]


def test_escaped_closing_brace_right_after_a_tag_or_comment() -> None:
    from kali.templating import Template

    assert Template("var o = {{a: {x}}};").render_str(x=1) == "var o = {a: 1};"
    assert Template("{x}}}").render_str(x=1) == "1}"
    assert Template("{# note #}}}").render_str() == "}"
    assert Template("{{{x}}}").render_str(x=2) == "{2}"
    assert [t.value for t in tokenize("{x}}}")] == ["x", "}"]
