"""{name}, {.name}, {name:fmt}: substitution, escaping and formatters."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pytest

from kali.templating import (
    Formatters,
    Markup,
    Rendered,
    Template,
    TemplateRenderError,
    TemplateSyntaxError,
    escape,
    iolist_to_str,
)


def render(text: str, **context: object) -> str:
    return Template(text).render_str(**context)


@dataclass
class User:
    name: str
    tags: tuple[str, ...] = ()


SPECIALS = "<>&\"'"
ESCAPED = "&lt;&gt;&amp;&quot;&#x27;"


def test_plain_text_is_returned_as_is() -> None:
    assert render("<p>Hello</p>") == "<p>Hello</p>"


def test_substitution_escapes_in_text() -> None:
    assert render("<p>{x}</p>", x=SPECIALS) == f"<p>{ESCAPED}</p>"


@pytest.mark.parametrize(
    "text",
    [
        '<a title="{x}">',
        "<a title='{x}'>",
        "<a title={x}>",
        '<input value="{x}">',
        "<p>{x}</p>",
        "{x}",
        "<script>var s = '{x}';</script>",
    ],
)
def test_escaping_in_every_position(text: str) -> None:
    assert render(text, x=SPECIALS) == text.replace("{x}", ESCAPED)


@pytest.mark.parametrize("char", list(SPECIALS))
def test_each_special_character_is_escaped(char: str) -> None:
    assert render('<b title="{x}">{x}</b>', x=char) == (
        f'<b title="{html.escape(char)}">{html.escape(char)}</b>'
    )


def test_raw_inserts_without_escaping() -> None:
    assert render("<div>{.x}</div>", x="<b>&</b>") == "<div><b>&</b></div>"


def test_raw_keeps_a_trusted_iolist_as_a_nested_node() -> None:
    body = ["<p>", ["a", "b"], "</p>"]
    out = Template("<main>\n{.body}\n</main>")(body=body)
    assert body in out  # not joined, not copied
    assert iolist_to_str(out) == "<main>\n<p>ab</p>\n</main>"


def test_raw_inside_a_line_joins_an_iolist() -> None:
    assert render("<main>{.body}</main>", body=["<p>", ["x"], "</p>"]) == "<main><p>x</p></main>"


def test_numbers_need_no_escaping() -> None:
    assert render("{a} {b} {c}", a=42, b=-1.5, c=10**20) == f"42 -1.5 {10**20}"


def test_bool_renders_as_python_text() -> None:
    assert render("{a} {b}", a=True, b=False) == "True False"


def test_none_renders_as_empty() -> None:
    assert render("[{x}][{.x}]", x=None) == "[][]"


def test_other_objects_are_converted_with_str_then_escaped() -> None:
    class Thing:
        def __str__(self) -> str:
            return "<thing>"

    assert render("{x}", x=Thing()) == "&lt;thing&gt;"


def test_markup_is_not_escaped() -> None:
    assert render("{x}", x=Markup("<b>ok</b>")) == "<b>ok</b>"


def test_objects_with_dunder_html_are_trusted() -> None:
    class Widget:
        def __html__(self) -> str:
            return "<widget>"

    assert render("{x}", x=Widget()) == "<widget>"


def test_rendered_output_is_not_escaped_twice() -> None:
    inner = Template("<b>{x}</b>")(x="<&>")
    assert isinstance(inner, Rendered)
    assert render("<p>{inner}</p>", inner=inner) == "<p><b>&lt;&amp;&gt;</b></p>"
    assert render("<p>{.inner}</p>", inner=inner) == "<p><b>&lt;&amp;&gt;</b></p>"


def test_a_plain_list_in_substitution_points_to_the_raw_tag() -> None:
    with pytest.raises(TemplateRenderError, match=r"\{\.x\}") as info:
        Template("<ul>\n{items}</ul>", name="list.html")(items=["a", "b"])
    assert info.value.name == "list.html"
    assert info.value.line == 2
    assert isinstance(info.value.__cause__, TypeError)


def test_literal_braces() -> None:
    assert render("{{x}} {{ }} }}") == "{x} { } }"


def test_braces_that_open_no_tag_stay_literal() -> None:
    css = "a { color: red; } @media (x) { b { c: d } }"
    js = "function f() { return { a: 1 }; } if (x) { y() }"
    assert render(css) == css
    assert render(js) == js
    assert render("{ x }{1}{'a'}{-1}{") == "{ x }{1}{'a'}{-1}{"


def test_a_lone_closing_brace_is_literal() -> None:
    assert render("a } b") == "a } b"


def test_dotted_and_indexed_names() -> None:
    out = render(
        "{user.name} {row[0]} {row[-1]} {d['a']} {d[\"b\"]} {d['a b']} {m[key]} {user.tags[1]}",
        user=User("Ann", ("x", "y")),
        row=[1, 2, 3],
        d={"a": "A", "b": "B", "a b": "AB"},
        m={"k": "K"},
        key="k",
    )
    assert out == "Ann 1 3 A B AB K y"


def test_string_literals_with_quotes_and_backslashes() -> None:
    d = {"it's": 1, 'say "hi"': 2, "back\\slash": 3, "new\nline": 4}
    out = render("{d[\"it's\"]} {d['say \"hi\"']} {d['back\\\\slash']} {d['new\\nline']}", d=d)
    assert out == "1 2 3 4"


def test_builtin_formatters() -> None:
    assert render("{n:num}", n=1234567) == "1,234,567"
    assert render("{n:num}", n=1234.5) == "1,234.5"
    assert render("{c:cents}", c=1234) == "12.34"
    assert render("{c:cents}", c=-5) == "-0.05"
    assert render("{c:cents}", c=123456789) == "1,234,567.89"
    assert render("{s:upper}{s:lower}", s="aB") == "ABab"


def test_formatter_output_is_escaped() -> None:
    assert render("{s:upper}", s="<a&b>") == "&lt;A&amp;B&gt;"


def test_formatter_returning_markup_is_not_escaped() -> None:
    formatters = Formatters()
    formatters.add("bold", lambda v: Markup(f"<b>{escape(v)}</b>"))
    out = Template("{x:bold}", formatters=formatters).render_str(x="<i>")
    assert out == "<b>&lt;i&gt;</b>"


def test_raw_with_formatter() -> None:
    assert render("{.s:upper}", s="<b>") == "<B>"
    assert render("{.p:.1f}", p=2.25) == "2.2"


def test_user_registered_formatter() -> None:
    formatters = Formatters()

    @formatters.register("stars")
    def stars(value: object) -> str:
        return "*" * int(str(value))

    assert Template("{n:stars}", formatters=formatters).render_str(n=3) == "***"


def test_a_plain_mapping_of_formatters_adds_to_the_built_in_ones() -> None:
    # As for a TemplateFolder: the mapping is registered beside num, cents, upper, lower.
    shout = {"shout": lambda value: f"{value}!"}
    template = Template("{n:num} {w:shout}", formatters=shout)
    assert template.render_str(n=1000, w="hi") == "1,000 hi!"


def test_format_spec() -> None:
    assert render("{p:.2f}", p=3.14159) == "3.14"
    assert render("{p:.2f}", p=3) == "3.00"
    assert render("[{s:>4}]", s="<") == "[   &lt;]"
    assert render("{n:,}", n=1234567) == "1,234,567"
    assert render("{n:05d}", n=42) == "00042"
    assert render("{n:x}", n=255) == "ff"


def test_format_spec_on_wrong_type_is_a_render_error() -> None:
    with pytest.raises(TemplateRenderError, match="ValueError"):
        Template("{s:.2f}")(s="abc")


def test_unknown_formatter_is_a_compile_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="unknown formatter 'money'") as info:
        Template("<p>\n{x:money}</p>", name="f.html")
    assert (info.value.name, info.value.line, info.value.column) == ("f.html", 2, 4)


def test_formatter_names_must_be_identifiers() -> None:
    with pytest.raises(ValueError):
        Formatters().add("not valid", str)
    with pytest.raises(TypeError):
        Formatters().add("x", 42)  # type: ignore[arg-type]


def test_cents_refuses_floats() -> None:
    with pytest.raises(TemplateRenderError, match="cents expects an int"):
        Template("{x:cents}")(x=1.5)


def test_escape_function() -> None:
    assert escape("<a>") == "&lt;a&gt;"
    assert isinstance(escape("x"), Markup)
    assert escape(Markup("<b>")) == "<b>"
    assert escape(None) == ""
    assert escape(5) == "5"
    assert Markup.escape("&") == "&amp;"
    assert repr(Markup("x")) == "Markup('x')"


def test_iolist_to_str() -> None:
    assert iolist_to_str(["a", ["b", ("c", [b"d"])], Markup("e")]) == "abcde"
    assert iolist_to_str("abc") == "abc"
    with pytest.raises(TypeError, match="leaf"):
        iolist_to_str(["a", [1]])  # type: ignore[list-item]


def test_literal_braces_next_to_values() -> None:
    assert render("} {x} { y {{z}}", x=1) == "} 1 { y {z}"


def test_a_value_used_twice_is_evaluated_once_but_calls_are_not_merged() -> None:
    calls: list[int] = []

    def tick() -> int:
        calls.append(1)
        return len(calls)

    assert render("{f()} {f()}", f=tick) == "1 2"
    assert render('<a title="{u.name}">{u.name}</a>', u=User("<A>")) == (
        '<a title="&lt;A&gt;">&lt;A&gt;</a>'
    )


@pytest.mark.parametrize("source", ["<ul>\n{.items}\n</ul>", "<ul>\n<li>{.items}</li></ul>"])
@pytest.mark.parametrize(
    ("items", "needle"),
    [([1, 2], "holds int 1"), (["a", ("b", 2.5)], "holds float 2.5"), ([b"x"], "holds bytes")],
)
def test_raw_iolist_leaves_are_checked_inside_the_template(
    source: str, items: list[object], needle: str
) -> None:
    with pytest.raises(TemplateRenderError, match=needle) as info:
        Template(source, name="list.html")(items=items)
    assert (info.value.name, info.value.line) == ("list.html", 2)
    assert isinstance(info.value.__cause__, TypeError)


def test_raw_iolist_of_strings_and_rendered_pass_unchanged() -> None:
    inner = Template("<b>{x}</b>")(x=1)
    body = ["<p>", ("a", Markup("<i>")), inner, "</p>"]
    out = Template("{.body}")(body=body)
    assert out == [body]
    assert Template("{.t}")(t=("a", "b")) == [["a", "b"]]
    assert iolist_to_str(out) == "<p>a<i><b>1</b></p>"


@pytest.mark.parametrize("source", ["{x}", "<p>{x}</p>", "{.x}", "<p>{.x}</p>"])
@pytest.mark.parametrize("value", [b"<a>", bytearray(b"a")])
def test_bytes_are_refused_with_a_clear_render_error(source: str, value: object) -> None:
    with pytest.raises(TemplateRenderError, match=r"decode the value to str first") as info:
        Template(source, name="b.html")(x=value)
    assert (info.value.name, info.value.line) == ("b.html", 1)
