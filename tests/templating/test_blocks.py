"""{for}, {if}, comments and whitespace control."""

from __future__ import annotations

import pytest

from kali.templating import Template, TemplateSyntaxError


def render(text: str, **context: object) -> str:
    return Template(text).render_str(**context)


# -- for ----------------------------------------------------------------------------------


def test_for_loop() -> None:
    assert render("{for x in xs}<li>{x}</li>{end}", xs=["a", "<b>"]) == (
        "<li>a</li><li>&lt;b&gt;</li>"
    )


def test_for_else_renders_when_empty() -> None:
    template = Template("{for x in xs}{x},{else}nothing{end}")
    assert template.render_str(xs=[1, 2]) == "1,2,"
    assert template.render_str(xs=[]) == "nothing"
    assert template.render_str(xs=iter([])) == "nothing"


def test_for_else_is_not_used_when_body_renders_empty_strings() -> None:
    assert render("{for x in xs}{x}{else}empty{end}", xs=[""]) == ""


def test_for_with_unpacking() -> None:
    out = render("{for k, v in d.items()}{k}={v};{end}", d={"a": 1, "b": 2})
    assert out == "a=1;b=2;"
    assert render("{for i, (a, b) in enumerate(ps)}{i}{a}{b}{end}", ps=[(1, 2)]) == "012"


def test_nested_loops_see_outer_variables() -> None:
    out = render(
        "{for row in rows}[{for c in row}{c}{sep}{end}]{end}",
        rows=[[1, 2], [3]],
        sep=",",
    )
    assert out == "[1,2,][3,]"


def test_nested_for_else_inside_a_loop() -> None:
    out = render("{for r in rows}({for c in r}{c}{else}-{end}){end}", rows=[[1], [], [2, 3]])
    assert out == "(1)(-)(23)"


def test_loop_variable_does_not_leak() -> None:
    out = render("{x}{for x in xs}{x}{end}{x}", x="outer", xs=[1, 2])
    assert out == "outer12outer"


def test_loop_variable_shadows_context_name_only_inside() -> None:
    out = render("{for item in item}<{item}>{end}", item=["a", "b"])
    assert out == "<a><b>"


def test_top_level_loop_is_a_nested_list_node() -> None:
    out = Template("<ul>{for x in xs}<li>{x}</li>{end}</ul>")(xs=[1, 2])
    assert out == ["<ul>", ["<li>1</li>", "<li>2</li>"], "</ul>"]


def test_range_and_enumerate() -> None:
    assert render("{for i in range(3)}{i}{end}") == "012"
    assert render("{for i, x in enumerate(xs)}{i}:{x} {end}", xs="ab") == "0:a 1:b "


# -- if -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(1, 0, "A"), (0, 1, "B"), (0, 0, "C"), (1, 1, "A")],
)
def test_if_elif_else(a: int, b: int, expected: str) -> None:
    assert render("{if a}A{elif b}B{else}C{end}", a=a, b=b) == expected


def test_if_without_else() -> None:
    assert render("[{if x}yes{end}]", x=False) == "[]"
    assert render("[{if x}yes{end}]", x=True) == "[yes]"


def test_if_inside_loop() -> None:
    out = render(
        "{for n in ns}{if n % 2}odd{elif n == 0}zero{else}even{end} {end}",
        ns=[0, 1, 2],
    )
    assert out == "zero odd even "


def test_if_with_values_in_branches_inside_loop() -> None:
    out = render("{for u in us}{if u}<{u}>{else}-{end}{end}", us=["a&", ""])
    assert out == "<a&amp;>-"


def test_several_elifs() -> None:
    text = "{if x == 1}one{elif x == 2}two{elif x == 3}three{else}many{end}"
    assert [render(text, x=i) for i in (1, 2, 3, 4)] == ["one", "two", "three", "many"]


def test_condition_expressions() -> None:
    text = "{if user and user.admin or force}admin{else}user{end}"

    class U:
        admin = True

    assert render(text, user=U(), force=False) == "admin"
    assert render(text, user=None, force=False) == "user"
    assert render(text, user=None, force=True) == "admin"


# -- comments and whitespace --------------------------------------------------------------


def test_comments_render_nothing() -> None:
    assert render("a{# a comment with {x} and } #}b") == "ab"


def test_multiline_comment() -> None:
    assert render("a\n{# line one\nline two #}\nb") == "a\nb"


def test_block_tags_on_their_own_line_leave_no_blank_line() -> None:
    text = """<ul>
  {for x in xs}
  <li>{x}</li>
  {end}
</ul>
"""
    assert render(text, xs=[1, 2]) == "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n"


def test_if_else_on_own_lines() -> None:
    text = "<p>\n{if x}\nyes\n{else}\nno\n{end}\n</p>\n"
    assert render(text, x=True) == "<p>\nyes\n</p>\n"
    assert render(text, x=False) == "<p>\nno\n</p>\n"


def test_two_block_tags_on_one_line_are_removed_together() -> None:
    text = "a\n  {if x}{if y}\nboth\n{end} {end}\nb\n"
    assert render(text, x=True, y=True) == "a\nboth\nb\n"


def test_block_tag_at_start_and_end_of_file() -> None:
    assert render("{if x}\nyes\n{end}", x=True) == "yes\n"
    assert render("{# header #}\nbody") == "body"


def test_block_tag_with_text_on_its_line_keeps_the_line() -> None:
    assert render("a\n<b>{if x}yes{end}</b>\nc", x=True) == "a\n<b>yes</b>\nc"


def test_output_tag_line_is_kept() -> None:
    assert render("a\n{x}\nb", x="") == "a\n\nb"


def test_windows_newlines() -> None:
    assert render("a\r\n{if x}\r\nyes\r\n{end}\r\nb", x=True) == "a\r\nyes\r\nb"


# -- block syntax errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("{for x in xs}\nbody", r"\{for\} is never closed", 1, 1),
        ("a\n  {if x}", r"\{if\} is never closed", 2, 3),
        ("{end}", r"\{end\} without an open", 1, 1),
        ("x\n{else}", r"\{else\} outside", 2, 1),
        ("{for x in xs}{else}{else}{end}", r"second \{else\}", 1, 20),
        ("{if a}{else}{elif b}{end}", r"\{elif\} after \{else\}", 1, 13),
        ("{elif b}", r"\{elif\} outside \{if\}", 1, 1),
        ("{for 1 in xs}{end}", r"invalid \{for\}", 1, 6),
        ("{for x.y in xs}{end}", "loop variable must be a name", 1, 6),
        ("{for x in}{end}", r"invalid \{for\}", 1, 10),
        ("{for _x in xs}{end}", "reserved", 1, 6),
        ("{if }{end}", "invalid expression|missing expression", 1, 5),
        ("{block 1a}{end}", "invalid block name", 1, 8),
        ("{block a}{end}{block a}{end}", "already defined on line 1", 1, 15),
        ('x\n{extends "base"}', "must come first", 2, 1),
        ("{include base}", "quoted template name", 1, 10),
        ("{# never closed", "unclosed comment", 1, 1),
    ],
)
def test_block_syntax_errors(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(TemplateSyntaxError, match=message) as info:
        Template(text, name="blocks.html")
    error = info.value
    assert (error.name, error.line, error.column) == ("blocks.html", line, column)
    assert str(error).startswith(f"blocks.html, line {line}, column {column}: ")
