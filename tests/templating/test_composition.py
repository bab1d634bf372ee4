"""Layouts ({extends}, {block}), {include} and programmatic assembly."""

from __future__ import annotations

import pytest

from kali.templating import (
    MappingLoader,
    Markup,
    Template,
    TemplateRenderError,
    TemplateSyntaxError,
)

LAYOUT = """<html>
<head><title>{block title}Site{end}</title></head>
<body>
{block body}
<p>default body</p>
{end}
{include "footer"}
</body>
</html>
"""
FOOTER = "<footer>{site}</footer>\n"
PAGE = """{extends "layout"}
{block title}{title} - Site{end}
{block body}
<h1>{title}</h1>
{for item in items}
<li>{item}</li>
{end}
{end}
"""


def loader(**extra: str) -> dict[str, str]:
    return {"layout": LAYOUT, "footer": FOOTER, "page": PAGE, **extra}


def test_extends_overrides_blocks() -> None:
    template = Template(PAGE, name="page", loader=loader())
    out = template.render_str(title="A & B", items=["<x>"], site="kali")
    assert out == (
        "<html>\n<head><title>A &amp; B - Site</title></head>\n<body>\n"
        "<h1>A &amp; B</h1>\n<li>&lt;x&gt;</li>\n"
        "<footer>kali</footer>\n</body>\n</html>\n"
    )


def test_layout_defaults_render_when_not_overridden() -> None:
    out = Template(LAYOUT, loader=loader()).render_str(site="s")
    assert "<title>Site</title>" in out
    assert "<p>default body</p>" in out


def test_multi_level_inheritance() -> None:
    section = '{extends "layout"}{block title}Section{end}{block body}[{block inner}x{end}]{end}'
    leaf = '{extends "section"}{block inner}leaf {who}{end}'
    template = Template(leaf, loader=loader(section=section))
    out = template.render_str(site="s", who="<me>")
    assert "<title>Section</title>" in out
    assert "[leaf &lt;me&gt;]" in out


def test_child_block_inside_overridden_block() -> None:
    section = '{extends "layout"}{block body}<main>{block inner}default{end}</main>{end}'
    out = Template(section, loader=loader()).render_str(site="s")
    assert "<main>default</main>" in out


def test_include_sees_loop_variables() -> None:
    row = "<td>{cell}</td>"
    template = Template('{for cell in cells}{include "row"}{end}', loader={"row": row})
    assert template.render_str(cells=[1, "<"]) == "<td>1</td><td>&lt;</td>"


def test_include_can_extend() -> None:
    card = '{extends "frame"}{block inner}card{end}'
    frame = "[{block inner}{end}]"
    template = Template('{include "card"}{include "card"}', loader={"card": card, "frame": frame})
    assert template.render_str() == "[card][card]"


def test_mapping_loader_object() -> None:
    template = Template('{include "x"}', loader=MappingLoader({"x": "X"}))
    assert template.render_str() == "X"


def test_missing_layout_is_a_compile_error_at_the_tag() -> None:
    with pytest.raises(TemplateSyntaxError, match="cannot extend 'nope'") as info:
        Template('\n{extends "nope"}', name="child", loader={})
    assert (info.value.name, info.value.line) == ("child", 2)


def test_missing_include_is_a_compile_error_at_the_tag() -> None:
    with pytest.raises(TemplateSyntaxError, match="cannot include 'nope'") as info:
        Template('a\nb {include "nope"}', name="p", loader={})
    assert (info.value.name, info.value.line, info.value.column) == ("p", 2, 3)


def test_include_without_loader() -> None:
    with pytest.raises(TemplateSyntaxError, match="no loader"):
        Template('{include "x"}')


def test_include_cycle_is_a_compile_error() -> None:
    with pytest.raises(TemplateSyntaxError, match=r"\{include\} cycle: a -> b -> a"):
        Template('{include "b"}', name="a", loader={"a": '{include "b"}', "b": '{include "a"}'})


def test_self_include_is_a_cycle() -> None:
    with pytest.raises(TemplateSyntaxError, match="cycle"):
        Template('{include "me"}', name="me", loader={"me": '{include "me"}'})


def test_extends_cycle_is_a_compile_error() -> None:
    templates = {"a": '{extends "b"}', "b": '{extends "a"}'}
    with pytest.raises(TemplateSyntaxError, match=r"\{extends\} cycle"):
        Template(templates["a"], name="a", loader=templates)


def test_unknown_block_in_child_is_a_compile_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="block 'bdy' is not defined") as info:
        Template('{extends "layout"}\n{block bdy}x{end}', name="c", loader=loader())
    assert (info.value.name, info.value.line) == ("c", 2)
    assert "body" in info.value.message


def test_content_outside_blocks_in_child_is_a_compile_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="outside \\{block\\}") as info:
        Template('{extends "layout"}\n\nstray text', name="c", loader=loader())
    assert (info.value.line, info.value.column) == (3, 1)


def test_two_extends_is_an_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="only one layout"):
        Template('{extends "a"}{extends "b"}')


def test_errors_in_a_layout_name_the_layout() -> None:
    layout = "<title>{title}</title>\n<p>{user.name}</p>\n{block body}{end}"
    page = '{extends "layout"}{block body}ok{end}'
    with pytest.raises(TemplateRenderError) as info:
        Template(page, name="page", loader={"layout": layout})(title="t", user=None)
    assert (info.value.name, info.value.line) == ("layout", 2)


def test_errors_in_a_partial_name_the_partial() -> None:
    partial = "ok\n{x.missing}"
    with pytest.raises(TemplateRenderError) as info:
        Template('{include "part"}', name="page", loader={"part": partial})(x=1)
    assert (info.value.name, info.value.line) == ("part", 2)


def test_syntax_errors_in_a_partial_name_the_partial() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        Template('{include "part"}', name="page", loader={"part": "\n{for x}"})
    assert (info.value.name, info.value.line) == ("part", 2)


# -- assembly -----------------------------------------------------------------------------


def test_assembly_binds_parameters_to_sub_templates() -> None:
    page = Template("<title>{title}</title><body>{.body}</body>")
    user_page = page.assembly(
        title="Hello, {user}",
        body="<h1>Hello, {user}</h1>{.body}",
    )
    out = user_page(user="<Ann>", body=Markup("<p>text</p>"))
    from kali.templating import iolist_to_str

    assert iolist_to_str(out) == (
        "<title>Hello, &lt;Ann&gt;</title><body><h1>Hello, &lt;Ann&gt;</h1><p>text</p></body>"
    )


def test_assembly_with_template_objects_and_further_assembly() -> None:
    frame = Template("[{.inner}]")
    card = Template("<b>{name}</b>")
    assembled = frame.assembly(inner=card).assembly(name="{first} {last}")
    from kali.templating import iolist_to_str

    assert iolist_to_str(assembled(first="A", last="<B>")) == "[<b>A &lt;B&gt;</b>]"


def test_assembly_parts_use_the_base_loader() -> None:
    base = Template("{.content}", loader={"part": "P:{x}"})
    from kali.templating import iolist_to_str

    assert iolist_to_str(base.assembly(content='{include "part"}')(x=1)) == "P:1"
