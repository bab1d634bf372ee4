"""Error messages: compile errors and render errors name the template, line (and column)."""

from __future__ import annotations

import pytest

from kali.templating import (
    Template,
    TemplateError,
    TemplateRenderError,
    TemplateSyntaxError,
    UndefinedError,
)

SOURCE = """<html>
<body>
  <p>{user.name}</p>
  {for item in items}
  <li>{item.title}</li>
  {end}
  {missing}
</body>
"""


class User:
    name = "Ann"


class Item:
    def __init__(self, title: str) -> None:
        self.title = title


def test_syntax_error_shows_name_line_column_source_and_caret() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        Template("<p>\n  <b>{x.}</b>\n</p>", name="page.html")
    error = info.value
    assert (error.name, error.line, error.column) == ("page.html", 2, 7)
    assert error.source_line == "  <b>{x.}</b>"
    assert str(error).splitlines() == [
        f"page.html, line 2, column 7: {error.message}",
        "      <b>{x.}</b>",
        "          ^",
    ]
    assert isinstance(error, TemplateError)


def test_unclosed_tag_points_at_its_opening_brace() -> None:
    with pytest.raises(TemplateSyntaxError, match="unclosed tag") as info:
        Template("ok\nab {x.y(\n}", name="t")
    assert (info.value.line, info.value.column) == (2, 4)


def test_unterminated_string_in_tag() -> None:
    with pytest.raises(TemplateSyntaxError, match="unterminated string") as info:
        Template("{d['a}", name="t")
    assert (info.value.line, info.value.column) == (1, 4)


def test_tag_that_looks_like_css_is_an_error_with_a_hint() -> None:
    with pytest.raises(TemplateSyntaxError, match=r"'\{\{'") as info:
        Template("<style>\na{color:red}\n</style>", name="s.html")
    assert (info.value.line, info.value.column) == (2, 9)


def test_undefined_name_names_template_and_line() -> None:
    with pytest.raises(UndefinedError) as info:
        Template(SOURCE, name="page.html")(user=User(), items=[])
    error = info.value
    assert (error.name, error.line, error.variable) == ("page.html", 7, "missing")
    assert error.source_line == "  {missing}"
    assert "undefined name 'missing'" in str(error)
    assert "strict=False" in str(error)
    assert "render" not in error.source_line


def test_undefined_name_used_inside_a_loop() -> None:
    with pytest.raises(UndefinedError) as info:
        Template("{for x in xs}\n{x}{y}\n{end}", name="t")(xs=[1])
    assert (info.value.line, info.value.variable) == (2, "y")


def test_undefined_loop_source() -> None:
    with pytest.raises(UndefinedError) as info:
        Template("a\n{for x in xs}{x}{end}", name="t")()
    assert (info.value.line, info.value.variable) == (2, "xs")


def test_undefined_name_in_condition() -> None:
    with pytest.raises(UndefinedError) as info:
        Template("a\n\n{if flag}x{end}", name="t")()
    assert info.value.line == 3


def test_names_only_needed_when_used() -> None:
    template = Template("{if user}{user.name}{else}guest{end}")
    assert template.render_str(user=None) == "guest"
    assert Template("{if show}{extra}{end}").render_str(show=False) == ""


def test_bad_attribute_names_template_and_line_and_chains_the_cause() -> None:
    with pytest.raises(TemplateRenderError) as info:
        Template(SOURCE, name="page.html")(user=User(), items=[Item("a"), object()], missing=1)
    error = info.value
    assert (error.name, error.line) == ("page.html", 5)
    assert "AttributeError" in error.message
    assert isinstance(error.__cause__, AttributeError)
    assert "<template" not in str(error)


def test_exception_in_a_called_function() -> None:
    def boom() -> str:
        raise ValueError("no luck")

    with pytest.raises(TemplateRenderError, match="ValueError: no luck") as info:
        Template("one\ntwo {f()}", name="t")(f=boom)
    assert info.value.line == 2


def test_name_error_inside_a_called_function_is_not_an_undefined_template_name() -> None:
    def broken() -> str:
        return str(undefined_thing)  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TemplateRenderError) as info:
        Template("{f()}")(f=broken)
    assert not isinstance(info.value, UndefinedError)
    assert "NameError" in info.value.message


def test_error_inside_an_if_inside_a_loop_names_the_right_line() -> None:
    text = "{for x in xs}\n{if x}\n<b>{x.upper()}</b>\n{else}\nnone\n{end}\n{end}"
    with pytest.raises(TemplateRenderError) as info:
        Template(text, name="t")(xs=["a", 5])
    assert info.value.line == 3


def test_error_in_elif_condition_names_its_line() -> None:
    text = "{if a}\nA\n{elif b.c}\nB\n{end}"
    with pytest.raises(TemplateRenderError) as info:
        Template(text, name="t")(a=0, b=1)
    assert info.value.line == 3


def test_nested_template_errors_propagate_unchanged() -> None:
    inner = Template("\n{boom}", name="inner")
    outer = Template("{f()}", name="outer")
    with pytest.raises(UndefinedError) as info:
        outer(f=inner)
    assert (info.value.name, info.value.line) == ("inner", 2)


def test_lenient_mode_renders_undefined_as_empty() -> None:
    template = Template(
        "[{a}][{a.b}][{a['k']}][{a()}][{for x in a}{x}{else}empty{end}][{if a}y{else}n{end}]"
        "[{a:.2f}][{.a}]",
        strict=False,
    )
    assert template.render_str() == "[][][][][empty][n][][]"


def test_lenient_mode_still_reports_bad_attributes() -> None:
    with pytest.raises(TemplateRenderError):
        Template("{a.b}", strict=False)(a=1)


def test_a_context_name_called_keyerror_does_not_break_name_binding() -> None:
    template = Template("{KeyError} {other}", name="k.html")
    assert template.render_str(KeyError="k", other="o") == "k o"
    with pytest.raises(UndefinedError) as info:
        template(KeyError="k")
    assert info.value.variable == "other"
    with pytest.raises(UndefinedError) as info:
        Template("{other} {KeyError}")(other="o")
    assert info.value.variable == "KeyError"


def test_generated_line_numbers_do_not_pose_as_template_lines() -> None:
    import traceback

    with pytest.raises(TemplateRenderError) as info:
        Template("a\n{x.nmae}", name="list.html")(x=1)
    assert info.value.line == 2
    frames = traceback.extract_tb(info.value.__cause__.__traceback__)  # type: ignore[union-attr]
    files = [frame.filename for frame in frames]
    assert "<template list.html (generated)>" in files
    assert "<template list.html>" not in files
