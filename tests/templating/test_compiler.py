"""The generated code: deterministic, inspectable, one function returning an iolist."""

from __future__ import annotations

from kali.templating import Rendered, Template
from kali.typing import IoList

TEXT = """<table>
{for row in rows}
<tr>{for c in row}<td>{c}</td>{end}</tr>
{end}
</table>
{if note}<p>{note:.2f} {d['k']} {.raw}</p>{end}
"""


def test_compiling_twice_gives_the_same_source() -> None:
    assert Template(TEXT).source == Template(TEXT).source


def test_source_is_one_python_function() -> None:
    source = Template(TEXT).source
    assert source.count("def render(_kw):") == 1
    compile(source, "<test>", "exec")
    assert "_e(c)" in source
    assert "_k0 = '.2f'" in source or "_k0 = 'k'" in source


def test_render_returns_a_list_of_str_leaves() -> None:
    out = Template(TEXT)(rows=[[1, 2]], note=1.5, d={"k": "v"}, raw="<i>")
    assert isinstance(out, Rendered)
    assert isinstance(out, list)

    def leaves(items: IoList) -> list[object]:
        found: list[object] = []
        for item in items:
            if isinstance(item, list | tuple):
                found.extend(leaves(item))
            else:
                found.append(item)
        return found

    assert all(type(leaf) is str for leaf in leaves(out))


def test_values_and_literals_of_an_iteration_are_joined() -> None:
    out = Template("{for x in xs}<b>{x}</b>{end}")(xs=[1, 2, 3])
    assert out == [["<b>1</b>", "<b>2</b>", "<b>3</b>"]]


def test_generated_code_has_no_builtins() -> None:
    template = Template("{x}")
    assert template._code.function.__globals__["__builtins__"] == {}


def test_template_attributes() -> None:
    template = Template("hi", name="n")
    assert template.text == "hi"
    assert template.name == "n"
    assert template.strict
    assert template.dependencies == ()
    assert template.render({}) == ["hi"]
